/// A policy tree as rules a person reads and a deployment applies: one rule per region, each a
/// conjunction of conditions on the data's own columns, exhaustive and disjoint (a missing value
/// is a region of its own, so every unit meets exactly one rule).
public struct PolicyRule: Sendable, Hashable, Codable {
    public struct Condition: Sendable, Hashable, Codable {
        /// The data's column (a one-hot column `channel=web` is the column `channel`).
        public var covariate: String
        /// `<=`, `>`, `==`, `!=` or `missing`.
        public var op: String
        /// The threshold, or the category; nil for `missing`.
        public var value: String?

        public init(covariate: String, op: String, value: String?) {
            self.covariate = covariate
            self.op = op
            self.value = value
        }
    }

    /// The region's conditions, none implied by another ("age <= 23", not "age <= 47 and age <= 23").
    public var conditions: [Condition]
    /// The arm's name.
    public var arm: String
    /// Share of the holdout units in this region.
    public var share: Double
    /// The tests on the branches from the root to this leaf, one per split (a drawing of the
    /// tree needs them); nil when they are the conditions.
    public var path: [Condition]? = nil

    /// `path` with every condition another one on the same column implies left out: of several
    /// `<=` the smallest threshold, of several `>` the largest, a `!=` under an `==`, repeats.
    public static func minimal(_ path: [Condition]) -> [Condition] {
        func number(_ c: Condition) -> Double? { c.value.flatMap(Double.init) }
        var kept: [Condition] = []
        for (i, c) in path.enumerated() {
            let others = path.enumerated().filter { $0.offset != i && $0.element.covariate == c.covariate }.map {
                (offset: $0.offset, condition: $0.element)
            }
            let implied = others.contains { other in
                let o = other.condition
                switch (c.op, o.op) {
                case ("<=", "<="), (">", ">"):
                    guard let a = number(c), let b = number(o) else { return false }
                    // The tighter bound implies this one; of two equal ones the later is dropped.
                    let tighter = c.op == "<=" ? b < a : b > a
                    return tighter || (a == b && other.offset < i)
                case ("!=", "=="): return o.value != c.value
                case ("!=", "!="), ("==", "=="), ("missing", "missing"):
                    return o.value == c.value && other.offset < i
                default: return false
                }
            }
            if !implied { kept.append(c) }
        }
        return kept
    }
}

extension PolicyTree {
    /// The tree's regions as rules. `covariateNames`: the feature matrix's column names (one-hot
    /// columns named `column=category`); `arms`: arm names; `shares` is measured on `features`.
    public func rules(covariateNames: [String], arms: [String], on features: FeatureMatrix) -> [PolicyRule] {
        var result: [PolicyRule] = []
        func name(_ j: Int) -> String { j < covariateNames.count ? covariateNames[j] : "x\(j)" }
        /// The condition "x_j ≤ t" (or its complement), on the data's own column.
        func condition(_ j: Int, _ t: Float, below: Bool) -> PolicyRule.Condition {
            let full = name(j)
            if let cut = full.firstIndex(of: "="), t >= 0, t < 1 {
                // A one-hot column: ≤ t is "not this category", > t is "this category".
                return .init(
                    covariate: String(full[..<cut]),
                    op: below ? "!=" : "==",
                    value: String(full[full.index(after: cut)...])
                )
            }
            return .init(covariate: full, op: below ? "<=" : ">", value: "\(t)")
        }
        func walk(_ node: Node, _ path: [PolicyRule.Condition]) {
            switch node {
            case .leaf(let arm):
                result.append(.init(conditions: path, arm: arm < arms.count ? arms[arm] : "arm \(arm)", share: 0))
            case .split(let j, let t, let missingLeft, let left, let right):
                let missing = PolicyRule.Condition(covariate: name(j), op: "missing", value: nil)
                walk(left, path + [condition(j, t, below: true)])
                if missingLeft { walk(left, path + [missing]) }
                walk(right, path + [condition(j, t, below: false)])
                if !missingLeft { walk(right, path + [missing]) }
            }
        }
        walk(root, [])
        // Shares: each unit meets one rule, found by the same walk the policy takes.
        var counts = [Int](repeating: 0, count: result.count)
        func index(_ row: Int) -> Int {
            var position = 0
            func descend(_ node: Node) -> Bool {
                switch node {
                case .leaf:
                    return true
                case .split(let j, let t, let missingLeft, let left, let right):
                    let x = features[row, j]
                    // Rules were listed left (value), left (missing), right (value), right (missing).
                    let leftRules = Self.ruleCount(left) * (missingLeft ? 2 : 1)
                    if x.isNaN {
                        if missingLeft {
                            position += Self.ruleCount(left)
                            return descend(left)
                        }
                        position += leftRules + Self.ruleCount(right)
                        return descend(right)
                    }
                    if x <= t { return descend(left) }
                    position += leftRules
                    return descend(right)
                }
            }
            _ = descend(root)
            return position
        }
        for row in 0..<features.rows { counts[index(row)] += 1 }
        let n = Double(max(features.rows, 1))
        for k in result.indices {
            result[k].share = Double(counts[k]) / n
            let minimal = PolicyRule.minimal(result[k].conditions)
            if minimal != result[k].conditions {
                result[k].path = result[k].conditions
                result[k].conditions = minimal
            }
        }
        return result
    }

    /// Rules below `node` (each missing-value route doubles its side).
    static func ruleCount(_ node: Node) -> Int {
        switch node {
        case .leaf: 1
        case .split(_, _, let missingLeft, let left, let right):
            ruleCount(left) * (missingLeft ? 2 : 1) + ruleCount(right) * (missingLeft ? 1 : 2)
        }
    }
}
