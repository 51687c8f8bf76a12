import AdvisorModel

extension SVGChart {
    /// A tree to draw: a leaf's label (the arm and its share), or branches, each under the
    /// condition that leads to it.
    public indirect enum TreeNode: Sendable, Hashable {
        case leaf(String)
        case split([Branch])

        public struct Branch: Sendable, Hashable {
            public var condition: String
            public var node: TreeNode
        }

        /// Leaves below this node (its width in the drawing).
        var leaves: Int {
            switch self {
            case .leaf: 1
            case .split(let branches): branches.reduce(0) { $0 + $1.node.leaves }
            }
        }

        var depth: Int {
            switch self {
            case .leaf: 0
            case .split(let branches): 1 + (branches.map(\.node.depth).max() ?? 0)
            }
        }

        /// The tree whose root-to-leaf paths are `paths` (each a list of conditions and the
        /// leaf's label), as a policy tree's rules list them: paths that begin with the same
        /// condition share that branch, in the order the paths come.
        public init(paths: [(conditions: [String], leaf: String)]) {
            guard let first = paths.first, !first.conditions.isEmpty else {
                self = .leaf(paths.first?.leaf ?? "")
                return
            }
            var order: [String] = []
            var groups: [String: [(conditions: [String], leaf: String)]] = [:]
            for path in paths {
                let head = path.conditions.first ?? ""
                if groups[head] == nil { order.append(head) }
                groups[head, default: []].append((Array(path.conditions.dropFirst()), path.leaf))
            }
            self = .split(order.map { Branch(condition: $0, node: TreeNode(paths: groups[$0] ?? [])) })
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
            case .split(let branches):
                var slot = first
                var centres: [(Double, String)] = []
                for branch in branches {
                    centres.append((draw(branch.node, level: level + 1, first: slot), branch.condition))
                    slot += branch.node.leaves
                }
                let x = ((centres.first?.0 ?? 0) + (centres.last?.0 ?? 0)) / 2
                let childY = top + rowHeight * Double(level + 1)
                for (childX, condition) in centres {
                    body += line(x, y + 6, childX, childY, stroke: grey, width: 1.5)
                    let limit = max(Int(leafWidth * Double(max(branches.count, 1)) / Double(branches.count) / 6.5), 6)
                    body += text(
                        (x + childX) / 2,
                        (y + childY) / 2 + 4,
                        short(condition, limit),
                        anchor: "middle",
                        size: 11,
                        fill: "#333"
                    )
                }
                body += "<circle cx=\"\(number(x))\" cy=\"\(number(y + 4))\" r=\"4\" fill=\"\(grey)\"/>"
                return x
            }
        }
        _ = draw(root, level: 0, first: 0)
        return frame(title: title, desc: desc, height: height, body: body)
    }
}
