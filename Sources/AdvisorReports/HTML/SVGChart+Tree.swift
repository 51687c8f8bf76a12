import AdvisorModel

extension SVGChart {
    /// A tree to draw: a leaf's label (the arm and its share), or a split on a covariate into
    /// branches, each under the test that leads to it ("≤ 0.39", "missing").
    public indirect enum TreeNode: Sendable, Hashable {
        case leaf(String)
        case split(String, [Branch])

        public struct Branch: Sendable, Hashable {
            public var condition: String
            public var node: TreeNode
        }

        /// Leaves below this node (its width in the drawing).
        var leaves: Int {
            switch self {
            case .leaf: 1
            case .split(_, let branches): branches.reduce(0) { $0 + $1.node.leaves }
            }
        }

        var depth: Int {
            switch self {
            case .leaf: 0
            case .split(_, let branches): 1 + (branches.map(\.node.depth).max() ?? 0)
            }
        }

        /// The tree whose root-to-leaf paths are `paths` (each a list of (covariate, test) and
        /// the leaf's label), as a policy tree's rules list them: paths that begin with the same
        /// condition share that branch, in the order the paths come.
        public init(paths: [(conditions: [(covariate: String, test: String)], leaf: String)]) {
            guard let first = paths.first, let head = first.conditions.first else {
                self = .leaf(paths.first?.leaf ?? "")
                return
            }
            var order: [String] = []
            var groups: [String: [(conditions: [(covariate: String, test: String)], leaf: String)]] = [:]
            for path in paths {
                let test = path.conditions.first?.test ?? ""
                if groups[test] == nil { order.append(test) }
                groups[test, default: []].append((Array(path.conditions.dropFirst()), path.leaf))
            }
            self = .split(head.covariate, order.map { Branch(condition: $0, node: TreeNode(paths: groups[$0] ?? [])) })
        }
    }

    /// A tree drawn top-down: each split's branches below it with their conditions on the
    /// edges, the leaves in one row at the bottom (the highlighted arms in vermillion).
    public static func tree(
        title: String,
        desc: String,
        root: TreeNode,
        highlight: (String) -> Bool = { _ in false }
    )
        -> String
    {
        let levels = Double(root.depth)
        let leafWidth = (width - 20) / Double(max(root.leaves, 1))
        let rowHeight = 74.0
        let top = 18.0
        let height = top + rowHeight * levels + 56
        var body = ""
        // Lays out `node` over the leaf slots starting at `first`; returns its centre x.
        func draw(_ node: TreeNode, level: Int, first: Int) -> Double {
            let y = top + rowHeight * Double(level)
            switch node {
            case .leaf(let label):
                let x = 10 + leafWidth * (Double(first) + 0.5)
                let leafY = top + rowHeight * levels
                if leafY > y { body += line(x, y, x, leafY, stroke: "#bbb", dash: true) }
                let colour = highlight(label) ? vermillion : blue
                let boxWidth = leafWidth - 6
                body +=
                    "<rect x=\"\(number(x - boxWidth / 2))\" y=\"\(number(leafY))\" width=\"\(number(boxWidth))\" height=\"40\" rx=\"4\" fill=\"\(colour)\"><title>\(escape(label))</title></rect>"
                let lines = label.split(separator: "\n", maxSplits: 1).map(String.init)
                let limit = max(Int(boxWidth / 7), 4)
                body += text(
                    x,
                    leafY + 17,
                    short(lines.first ?? "", limit),
                    anchor: "middle",
                    size: 12,
                    weight: "bold",
                    fill: "#fff"
                )
                if lines.count > 1 {
                    body += text(x, leafY + 32, short(lines[1], limit), anchor: "middle", size: 11, fill: "#fff")
                }
                return x
            case .split(let covariate, let branches):
                var slot = first
                var centres: [(Double, String)] = []
                for branch in branches {
                    centres.append((draw(branch.node, level: level + 1, first: slot), branch.condition))
                    slot += branch.node.leaves
                }
                let x = ((centres.first?.0 ?? 0) + (centres.last?.0 ?? 0)) / 2
                let childY = top + rowHeight * Double(level + 1)
                // The test sits beside its edge's middle, on the outer side, clear of the nodes.
                let limit = max(Int(leafWidth / 6.5), 5)
                for (childX, condition) in centres {
                    body += line(x, y + 8, childX, childY - 4, stroke: grey, width: 1.5)
                    let midX = (x + childX) / 2
                    let midY = (y + 8 + childY - 4) / 2 + 4
                    let left = childX < x - 1
                    body += text(
                        midX + (left ? -5 : 5),
                        midY,
                        short(condition, limit),
                        anchor: left ? "end" : "start",
                        size: 11,
                        fill: "#333"
                    )
                }
                body += "<circle cx=\"\(number(x))\" cy=\"\(number(y + 6))\" r=\"4\" fill=\"\(grey)\"/>"
                body += text(
                    x,
                    y - 1,
                    short(covariate, max(Int(leafWidth * Double(branches.count) / 7), 6)),
                    anchor: "middle",
                    size: 12,
                    weight: "bold"
                )
                return x
            }
        }
        _ = draw(root, level: 0, first: 0)
        return frame(title: title, desc: desc, height: height, body: body)
    }
}
