import AdvisorModel
import Testing

/// The tree search against a brute force written plainly: every tree of depth ≤ 2 over the same
/// candidate thresholds (every distinct value, each missing side), each leaf's arm chosen by its
/// summed reward, leaf sizes ≥ the minimum. Rewards are multiples of 1/8, so every sum is exact
/// in binary and the two rewards must agree to the last bit whatever the summation order.
@Suite("Policy tree search")
struct PolicyTreeTests {
    struct Problem {
        var features: FeatureMatrix
        var rewards: [[Double]]
    }

    /// `kinds[j]`: "c" continuous (`levels` distinct values), "b" binary (a one-hot category),
    /// with a share of missing values when `missing`.
    static func problem(
        units n: Int,
        arms m: Int,
        kinds: [Character],
        missing: Bool,
        seed: UInt64,
        levels: Int = 7
    ) -> Problem {
        var rng = SplitMix64(seed: seed)
        var values: [Float] = []
        for _ in 0..<n {
            for kind in kinds {
                if missing && rng.nextOpenUnit() < 0.15 {
                    values.append(.nan)
                } else if kind == "b" {
                    values.append(rng.nextOpenUnit() < 0.4 ? 1 : 0)
                } else {
                    values.append(Float(Int(rng.nextOpenUnit() * Double(levels))))
                }
            }
        }
        let rewards = (0..<n).map { _ in (0..<m).map { _ in (rng.nextOpenUnit() * 80).rounded(.down) / 8 - 4 } }
        return Problem(features: FeatureMatrix(values: values, rows: n, columns: kinds.count), rewards: rewards)
    }

    /// Every split of `units`: (feature, threshold, missing side, left, right).
    static func splits(_ p: Problem, _ units: [Int]) -> [(Int, Float, Bool, [Int], [Int])] {
        var result: [(Int, Float, Bool, [Int], [Int])] = []
        for j in 0..<p.features.columns {
            let distinct = Set((0..<p.features.rows).map { p.features[$0, j] }.filter { !$0.isNaN }).sorted()
            for t in distinct.dropLast() {
                for missingLeft in [false, true] {
                    var left: [Int] = []
                    var right: [Int] = []
                    for i in units {
                        let x = p.features[i, j]
                        if x.isNaN ? missingLeft : x <= t { left.append(i) } else { right.append(i) }
                    }
                    result.append((j, t, missingLeft, left, right))
                }
            }
        }
        return result
    }

    static func leaf(_ p: Problem, _ units: [Int]) -> Double {
        (0..<p.rewards[0].count).map { a in units.reduce(0) { $0 + p.rewards[$1][a] } }.max() ?? 0
    }

    static func depthOne(_ p: Problem, _ units: [Int], minLeaf: Int) -> Double {
        var best = leaf(p, units)
        for (_, _, _, l, r) in splits(p, units) where l.count >= minLeaf && r.count >= minLeaf {
            best = max(best, leaf(p, l) + leaf(p, r))
        }
        return best
    }

    static func depthTwo(_ p: Problem, minLeaf: Int) -> Double {
        let all = Array(0..<p.features.rows)
        var best = depthOne(p, all, minLeaf: minLeaf)
        for (_, _, _, l, r) in splits(p, all) where l.count >= minLeaf && r.count >= minLeaf {
            best = max(best, depthOne(p, l, minLeaf: minLeaf) + depthOne(p, r, minLeaf: minLeaf))
        }
        return best
    }

    /// The reward a tree earns, summed directly.
    static func reward(_ tree: PolicyTree, _ p: Problem) -> Double {
        tree.assign(p.features).enumerated().reduce(0) { $0 + p.rewards[$1.offset][$1.element] }
    }

    @Test(
        "Depth 2 equals brute force: continuous, categorical and missing covariates, with and without a leaf minimum",
        arguments: [
            (40, 3, "cc", false, 1), (60, 4, "cbc", true, 1), (80, 2, "bbc", true, 5), (70, 5, "ccc", false, 8),
            (50, 3, "cb", true, 3), (90, 4, "cbcb", true, 10),
        ] as [(Int, Int, String, Bool, Int)]
    )
    func depthTwoEqualsBruteForce(units: Int, arms: Int, kinds: String, missing: Bool, minLeaf: Int) {
        for seed in 0..<UInt64(4) {
            let p = Self.problem(units: units, arms: arms, kinds: Array(kinds), missing: missing, seed: seed * 31 + 7)
            var settings = PolicyTreeSettings()
            settings.exact = true
            settings.minLeafSize = minLeaf
            let (root, reward) = PolicyTreeSearch(features: p.features, rewards: p.rewards, settings: settings)
                .search(depth: 2)
            let expected = Self.depthTwo(p, minLeaf: minLeaf)
            #expect(reward == expected, "seed \(seed): search \(reward), brute force \(expected)")
            #expect(Self.reward(PolicyTree(name: "t", root: root), p) == reward, "the tree earns what the search says")
        }
    }

    @Test("Depth 1 equals brute force, and grouped thresholds (bins < distinct values) refine to the exact answer")
    func depthOneAndGroups() {
        for seed in 0..<UInt64(6) {
            let p = Self.problem(units: 120, arms: 3, kinds: Array("cc"), missing: true, seed: seed + 100)
            var settings = PolicyTreeSettings()
            settings.exact = true
            settings.bins = 2  // groups of ~4 adjacent values: the refinement must find the rest
            settings.minLeafSize = 4
            let search = PolicyTreeSearch(features: p.features, rewards: p.rewards, settings: settings)
            #expect(search.search(depth: 1).reward == Self.depthOne(p, Array(0..<120), minLeaf: 4))
            #expect(search.search(depth: 2).reward == Self.depthTwo(p, minLeaf: 4))
        }
    }

    /// Groups of many values, where the depth-2 search skips root thresholds by the bound from
    /// the nearest evaluated one (moving a unit changes a split's value by at most its reward
    /// range) and depth 1 refines only the groups that can win: both must still be exact, with
    /// and without missing values and leaf minimums that bind near the ends.
    @Test(
        "Depth 2 equals brute force when thresholds are grouped and skipped by their bounds",
        arguments: [(1, false, 3), (6, true, 4), (15, true, 2), (25, false, 5)] as [(Int, Bool, Int)]
    )
    func groupedDepthTwo(minLeaf: Int, missing: Bool, bins: Int) {
        for seed in 0..<UInt64(3) {
            let p = Self.problem(
                units: 150,
                arms: 4,
                kinds: Array("ccb"),
                missing: missing,
                seed: seed + 500,
                levels: 40
            )
            var settings = PolicyTreeSettings()
            settings.exact = true
            settings.bins = bins
            settings.minLeafSize = minLeaf
            let (root, reward) = PolicyTreeSearch(features: p.features, rewards: p.rewards, settings: settings)
                .search(depth: 2)
            let expected = Self.depthTwo(p, minLeaf: minLeaf)
            #expect(reward == expected, "seed \(seed): search \(reward), brute force \(expected)")
            #expect(Self.reward(PolicyTree(name: "t", root: root), p) == reward)
        }
    }

    @Test("Depth 3 (a greedy root, exact depth 2 below it) earns at least its root's depth-1 tree and what it says")
    func depthThree() {
        let p = Self.problem(units: 200, arms: 3, kinds: Array("ccb"), missing: true, seed: 5)
        var settings = PolicyTreeSettings()
        settings.minLeafSize = 10
        let search = PolicyTreeSearch(features: p.features, rewards: p.rewards, settings: settings)
        let one = search.search(depth: 1)
        let three = search.search(depth: 3)
        // Below the greedy root each side may stay a leaf, so depth 3 cannot earn less than the
        // depth-1 tree with the same root (sums of multiples of 1/8: exact).
        #expect(three.reward >= one.reward)
        let tree = PolicyTree(name: "t", root: three.root)
        #expect(tree.depth <= 3)
        #expect(Self.reward(tree, p) == three.reward)
    }

    @Test("A covariate that is always missing or constant never splits, and the search still finds the rest")
    func degenerateColumns() {
        var rng = SplitMix64(seed: 17)
        var values: [Float] = []
        var rewards: [[Double]] = []
        for _ in 0..<400 {
            let x = Float(rng.nextOpenUnit())
            values += [.nan, 3, x]
            rewards.append(x < 0.5 ? [1, 0] : [0, 1])
        }
        let features = FeatureMatrix(values: values, rows: 400, columns: 3)
        for exact in [false, true] {
            var settings = PolicyTreeSettings()
            settings.exact = exact
            let (root, reward) = PolicyTreeSearch(features: features, rewards: rewards, settings: settings)
                .search(depth: 2)
            // Exact: every unit gets its arm. Binned: the cut lands on a quantile, so at most one
            // bin's worth of units (400 / 64) sits on the wrong side.
            #expect(exact ? reward == 400 : reward >= 400 - 400.0 / 64, "exact: \(exact), reward \(reward)")
            guard case .split(let feature, _, _, _, _) = root else {
                Issue.record("no split")
                continue
            }
            #expect(feature == 2)
        }
    }

    @Test("A region per arm (three regions, three arms) is found exactly")
    func knownRegions() {
        // x0 < 0.3 → arm 0; x0 ≥ 0.3 and x1 < 0.5 → arm 1; else arm 2. Rewards 1 for the right arm.
        var rng = SplitMix64(seed: 11)
        var values: [Float] = []
        var rewards: [[Double]] = []
        for _ in 0..<3000 {
            let x0 = Float(rng.nextOpenUnit())
            let x1 = Float(rng.nextOpenUnit())
            values += [x0, x1, Float(rng.nextOpenUnit())]
            let arm = x0 < 0.3 ? 0 : (x1 < 0.5 ? 1 : 2)
            rewards.append((0..<3).map { $0 == arm ? 1 : 0 })
        }
        let features = FeatureMatrix(values: values, rows: 3000, columns: 3)
        var settings = PolicyTreeSettings()
        settings.exact = true
        let (root, reward) = PolicyTreeSearch(features: features, rewards: rewards, settings: settings).search(depth: 2)
        #expect(reward == 3000, "every unit gets its arm")
        guard case .split(let feature, let threshold, _, _, _) = root else {
            Issue.record("a leaf at the root")
            return
        }
        #expect(feature == 0 && abs(threshold - 0.3) < 0.01)
    }
}

@Suite("Tree rules say no condition twice")
struct MinimalRuleTests {
    typealias C = PolicyRule.Condition

    @Test("An implied bound or category test is left out; the tightest stays in its place")
    func implied() {
        let path = [
            C(covariate: "age", op: "<=", value: "47"), C(covariate: "tenure", op: ">", value: "2"),
            C(covariate: "age", op: "<=", value: "23"), C(covariate: "tenure", op: ">", value: "5"),
            C(covariate: "channel", op: "!=", value: "web"), C(covariate: "channel", op: "==", value: "shop"),
        ]
        #expect(
            PolicyRule.minimal(path) == [
                C(covariate: "age", op: "<=", value: "23"), C(covariate: "tenure", op: ">", value: "5"),
                C(covariate: "channel", op: "==", value: "shop"),
            ]
        )
        let different = [C(covariate: "age", op: "<=", value: "47"), C(covariate: "age", op: ">", value: "23")]
        #expect(PolicyRule.minimal(different) == different, "a range keeps both ends")
        let repeated = [C(covariate: "age", op: "missing", value: nil), C(covariate: "age", op: "missing", value: nil)]
        #expect(PolicyRule.minimal(repeated).count == 1)
    }
}
