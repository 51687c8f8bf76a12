/// A policy as a shallow tree of covariate splits with one arm per leaf: what a product manager
/// can read ("tenure ≤ 12 and channel = web → discount-10") and a team can deploy without the
/// models. Learned by `PolicyTreeSearch` to maximize the summed doubly robust scores of its leaves'
/// arms (PolicyTrees.md).
public struct PolicyTree: Policy, Sendable, Hashable {
    public indirect enum Node: Sendable, Hashable {
        case leaf(arm: Int)
        /// Units with x[feature] ≤ threshold go left, the others right; a missing x goes left
        /// when `missingGoesLeft`.
        case split(feature: Int, threshold: Float, missingGoesLeft: Bool, left: Node, right: Node)
    }

    public var name: String
    public var root: Node

    public init(name: String, root: Node) {
        self.name = name
        self.root = root
    }

    /// The number of splits on the longest path.
    public var depth: Int { Self.depth(root) }

    static func depth(_ node: Node) -> Int {
        switch node {
        case .leaf: 0
        case .split(_, _, _, let left, let right): 1 + max(depth(left), depth(right))
        }
    }

    /// The arm of one unit (row `row` of `features`).
    public func arm(_ features: FeatureMatrix, row: Int) -> Int {
        var node = root
        while true {
            switch node {
            case .leaf(let arm):
                return arm
            case .split(let feature, let threshold, let missingGoesLeft, let left, let right):
                let x = features[row, feature]
                node = (x.isNaN ? missingGoesLeft : x <= threshold) ? left : right
            }
        }
    }

    public func assign(_ features: FeatureMatrix) -> [Int] {
        (0..<features.rows).map { arm(features, row: $0) }
    }
}

/// Settings of the tree search (configuration `analysis.policy_tree`).
public struct PolicyTreeSettings: Sendable, Hashable {
    /// 1 to 3. Depth 2 is searched exactly; depth 3 is a greedy root with an exact depth-2 search
    /// below each of its branches.
    public var depth = 2
    /// Candidate thresholds per continuous covariate: its quantiles.
    public var bins = 64
    /// Every distinct value as a candidate threshold instead of `bins` quantiles.
    public var exact = false
    /// No leaf holds fewer units.
    public var minLeafSize = 50
    /// Folds of the training split for the cross-fitted scores the tree learns from.
    public var folds = 2

    public init() {}
}
