import Dispatch
import Synchronization

/// The exact search for the policy tree that maximizes Σ_i Γ[i][arm of i's leaf] over the
/// candidate thresholds (PolicyTrees.md derives it and its cost):
///
/// - Rewards are shifted per unit to Γ[i][a] − min_b Γ[i][b] ≥ 0. Every tree's total moves by the
///   same constant, so the argmax is unchanged, and a subset's best reward can then only grow
///   when units are added: that is what makes the bounds below valid.
/// - Depth 1 for a set of units reads per-bin reward sums: cumulative sums over one feature's bins
///   give every threshold's two sides at once, O(bins · m) per feature.
/// - Depth 2 sweeps each root feature's thresholds in order, moving units from the right side to
///   the left and updating every feature's per-bin sums of the left side (the right side is the
///   total minus the left), then solves depth 1 on both sides.
/// - With `exact`, every distinct value is a threshold, in ≤ `bins` groups of adjacent values.
///   Depth 1 scans the group boundaries and refines a group only when its bound (per arm, the
///   sums through the group on the left and from it on the right) beats the best split found.
///   Depth 2 evaluates the root thresholds between groups first; one inside a group then earns at
///   most best(L at the group's end) + best(R at its start), since with rewards ≥ 0 a subset
///   never earns more, and only the groups whose bound beats the best tree are swept again. In
///   that sweep a threshold is skipped while an evaluated neighbour's value plus the reward
///   ranges of the units between them stays below the best tree.
/// - A missing value is a bin of its own, sent left or right, whichever the search prefers.
public struct PolicyTreeSearch: Sendable {
    let units: Int
    let arms: Int
    let features: Int
    /// Shifted rewards, unit-major (units × arms), and each unit's largest.
    let rewards: [Double]
    let unitMax: [Double]
    /// Σ_i min_a Γ[i][a]: added back to report rewards on the original scale.
    let offset: Double
    /// Per feature: each unit's fine bin (−1 when missing), feature-major.
    let fineBin: [Int32]
    let fineCount: [Int]
    /// Per feature: the threshold after each fine bin (x ≤ threshold[k] ⇔ bin ≤ k).
    let thresholds: [[Float]]
    /// Per feature: each fine bin's group, and each group's first fine bin (plus the end).
    let groupOf: [[Int32]]
    let groupStart: [[Int]]
    let hasMissing: [Bool]
    let minLeaf: Int
    /// Where each feature's rows start in a `Sums`: its groups (+ the missing row), and its fine
    /// bins (+ the missing row) when some feature has groups of several values (`needsFine`).
    /// Fixed by the binning, so computed once here rather than in every depth-1 solve.
    let groupOffset: [Int]
    let fineOffset: [Int]
    let groupRowCount: Int
    let needsFine: Bool

    /// `rewards[i][a]`: the value of giving unit i (row i of `features`) arm a. Non-finite
    /// rewards are not expected (doubly robust scores are finite for valid propensities).
    public init(features x: FeatureMatrix, rewards: [[Double]], settings: PolicyTreeSettings) {
        precondition(rewards.count == x.rows, "one reward row per unit")
        let n = x.rows
        let m = rewards.first?.count ?? 0
        units = n
        arms = m
        features = x.columns
        minLeaf = max(1, settings.minLeafSize)
        var shifted = [Double](repeating: 0, count: n * m)
        var maxima = [Double](repeating: 0, count: n)
        var total = 0.0
        for i in 0..<n {
            let low = rewards[i].min() ?? 0
            total += low
            for a in 0..<m {
                shifted[i * m + a] = rewards[i][a] - low
                maxima[i] = max(maxima[i], shifted[i * m + a])
            }
        }
        self.rewards = shifted
        unitMax = maxima
        offset = total
        var bins = [Int32](repeating: -1, count: n * x.columns)
        var counts: [Int] = []
        var cuts: [[Float]] = []
        var groups: [[Int32]] = []
        var starts: [[Int]] = []
        var missing: [Bool] = []
        for j in 0..<x.columns {
            var values: [Float] = []
            values.reserveCapacity(n)
            for i in 0..<n where !x[i, j].isNaN { values.append(x[i, j]) }
            missing.append(values.count < n)
            values.sort()
            var distinct: [Float] = []
            for v in values where distinct.last != v { distinct.append(v) }
            // Fine bins: every distinct value (exact, or few values), else `bins` quantiles.
            var upper: [Float]
            if settings.exact || distinct.count <= settings.bins {
                upper = distinct
            } else {
                upper = []
                for q in 1...settings.bins {
                    let v = values[min(values.count - 1, q * values.count / settings.bins - 1)]
                    if upper.last != v { upper.append(v) }
                }
                if upper.last != distinct.last, let top = distinct.last { upper.append(top) }
            }
            // A unit's fine bin: the first upper bound at or above its value.
            for i in 0..<n where !x[i, j].isNaN {
                var lo = 0
                var hi = upper.count - 1
                let v = x[i, j]
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if upper[mid] >= v { hi = mid } else { lo = mid + 1 }
                }
                bins[j * n + i] = Int32(lo)
            }
            counts.append(upper.count)
            cuts.append(upper)
            // Groups of adjacent fine bins for the refinement: about `bins` of them.
            let perGroup = max(1, (upper.count + settings.bins - 1) / max(settings.bins, 1))
            groups.append((0..<upper.count).map { Int32($0 / perGroup) })
            starts.append(Array(stride(from: 0, to: upper.count, by: perGroup)) + [upper.count])
        }
        fineBin = bins
        fineCount = counts
        thresholds = cuts
        groupOf = groups
        groupStart = starts
        hasMissing = missing
        needsFine = (0..<x.columns).contains { starts[$0].count - 1 < counts[$0] }
        groupOffset = Self.offsets(starts.map(\.count))
        groupRowCount = starts.reduce(0) { $0 + $1.count }
        fineOffset = needsFine ? Self.offsets(counts.map { $0 + 1 }) : []
    }

    /// The best tree of at most `depth` (1 to 3) levels and its total reward on the original scale.
    public func search(depth: Int) -> (root: PolicyTree.Node, reward: Double) {
        let all = (0..<units).map(Int32.init)
        let (node, shiftedReward) =
            switch depth {
            case ...1: bestDepthOne(all)
            case 2: bestDepthTwo(all)
            default: bestDepthThree(all)
            }
        return (node, shiftedReward + offset)
    }

    // MARK: - Depth 3: a greedy root, exact depth 2 below each branch

    func bestDepthThree(_ members: [Int32]) -> (PolicyTree.Node, Double) {
        let (root, rootValue) = bestDepthOne(members)
        guard case .split(let j, let threshold, let missingLeft, _, _) = root else { return (root, rootValue) }
        var left: [Int32] = []
        var right: [Int32] = []
        for i in members {
            let b = fineBin[j * units + Int(i)]
            let goesLeft = b < 0 ? missingLeft : thresholds[j][Int(b)] <= threshold
            if goesLeft { left.append(i) } else { right.append(i) }
        }
        let (l, lv) = bestDepthTwo(left)
        let (r, rv) = bestDepthTwo(right)
        return (.split(feature: j, threshold: threshold, missingGoesLeft: missingLeft, left: l, right: r), lv + rv)
    }

    // MARK: - Depth 1 and 2

    /// Per-bin reward sums of a set of units over every feature: fine rows when some feature is
    /// refined (exact), group rows always; a feature's last row is its missing bin.
    struct Sums {
        var groups: [Double]
        var groupCount: [Int]
        var fine: [Double]
        var fineUnits: [Int]
        var total: [Double]
        var count = 0
    }

    static func offsets(_ rows: [Int]) -> [Int] {
        var result: [Int] = []
        var next = 0
        for r in rows {
            result.append(next)
            next += r
        }
        return result
    }

    func emptySums() -> Sums {
        let groupTotal = groupRowCount
        let fineTotal = needsFine ? fineCount.reduce(0) { $0 + $1 + 1 } : 0
        return Sums(
            groups: [Double](repeating: 0, count: groupTotal * arms),
            groupCount: [Int](repeating: 0, count: groupTotal),
            fine: [Double](repeating: 0, count: fineTotal * arms),
            fineUnits: [Int](repeating: 0, count: fineTotal),
            total: [Double](repeating: 0, count: arms)
        )
    }

    /// Adds unit i to every feature's sums.
    @inline(__always)
    func add(_ i: Int, to sums: inout Sums, groupOffset: [Int], fineOffset: [Int]) {
        let m = arms
        rewards.withUnsafeBufferPointer { r in
            let base = i * m
            sums.total.withUnsafeMutableBufferPointer { t in
                for a in 0..<m { t[a] += r[base + a] }
            }
            sums.count += 1
            sums.groups.withUnsafeMutableBufferPointer { g in
                for j in 0..<features {
                    let b = Int(fineBin[j * units + i])
                    let row = groupOffset[j] + (b < 0 ? groupStart[j].count - 1 : Int(groupOf[j][b]))
                    for a in 0..<m { g[row * m + a] += r[base + a] }
                    sums.groupCount[row] += 1
                }
            }
            if !fineOffset.isEmpty {
                sums.fine.withUnsafeMutableBufferPointer { f in
                    for j in 0..<features {
                        let b = Int(fineBin[j * units + i])
                        let row = fineOffset[j] + (b < 0 ? fineCount[j] : b)
                        for a in 0..<m { f[row * m + a] += r[base + a] }
                        sums.fineUnits[row] += 1
                    }
                }
            }
        }
    }

    /// The sums of the units in `members`.
    func sums(_ members: [Int32]) -> Sums {
        var s = emptySums()
        let go = groupOffset
        let fo = fineOffset
        for i in members { add(Int(i), to: &s, groupOffset: go, fineOffset: fo) }
        return s
    }

    /// The best depth-1 tree (a leaf or one split with a leaf each side) of a set of units.
    func bestDepthOne(_ members: [Int32]) -> (PolicyTree.Node, Double) {
        let result = depthOne(sums(members), minus: nil, scratch: makeScratch())
        return (result.node, result.value)
    }

    struct DepthOne {
        var node: PolicyTree.Node
        var value: Double
        /// The best depth-1 value without the leaf-size limit, exactly: every threshold is either
        /// evaluated or in a group whose bound is below `value`. The root's bounds need it exact
        /// (PolicyTrees.md), and unconstrained because a subset's best tree may break the limit.
        var unconstrained: Double
    }

    /// Buffers every depth-1 evaluation reuses, so the search's inner loops allocate nothing.
    final class Scratch {
        let groups: UnsafeMutableBufferPointer<Double>
        let groupCount: UnsafeMutableBufferPointer<Int>
        let total: UnsafeMutableBufferPointer<Double>
        let cumulative: UnsafeMutableBufferPointer<Double>
        /// Pending refinements: (bound, feature, group, units left before it), and the cumulative
        /// sums before the group, `arms` values each.
        var pending: [(bound: Double, feature: Int, group: Int, unitsBefore: Int, slot: Int)] = []
        var pendingSums: [Double] = []

        init(groupRows: Int, arms: Int) {
            groups = .allocate(capacity: max(groupRows * arms, 1))
            groupCount = .allocate(capacity: max(groupRows, 1))
            total = .allocate(capacity: max(arms, 1))
            cumulative = .allocate(capacity: max(arms, 1))
        }

        deinit {
            groups.deallocate()
            groupCount.deallocate()
            total.deallocate()
            cumulative.deallocate()
        }
    }

    func makeScratch() -> Scratch { Scratch(groupRows: groupRowCount, arms: arms) }

    /// Depth 1 on `s`, or on `whole − s` when `whole` is given (the right side of a root split).
    func depthOne(_ s: Sums, minus whole: Sums?, scratch: Scratch) -> DepthOne {
        let m = arms
        let go = groupOffset
        let fo = fineOffset
        let g = scratch.groups
        let gc = scratch.groupCount
        let total = scratch.total
        let c = scratch.cumulative
        // This side's sums into the scratch buffers.
        s.groups.withUnsafeBufferPointer { own in
            if let whole {
                whole.groups.withUnsafeBufferPointer { all in
                    for r in 0..<own.count { g[r] = all[r] - own[r] }
                }
                for r in 0..<s.groupCount.count { gc[r] = whole.groupCount[r] - s.groupCount[r] }
                for a in 0..<m { total[a] = whole.total[a] - s.total[a] }
            } else {
                for r in 0..<own.count { g[r] = own[r] }
                for r in 0..<s.groupCount.count { gc[r] = s.groupCount[r] }
                for a in 0..<m { total[a] = s.total[a] }
            }
        }
        let count = whole.map { $0.count - s.count } ?? s.count
        var leafArm = 0
        for a in 1..<m where total[a] > total[leafArm] { leafArm = a }
        var node = PolicyTree.Node.leaf(arm: leafArm)
        var best = total[leafArm]
        var unconstrained = best
        scratch.pending.removeAll(keepingCapacity: true)
        scratch.pendingSums.removeAll(keepingCapacity: true)

        /// The split whose left side is `c` (+ the missing row when `missingLeft`).
        @inline(__always)
        func evaluate(
            _ j: Int,
            _ k: Int,
            _ missing: UnsafeMutableBufferPointer<Double>,
            _ missingUnits: Int,
            _ unitsLeft: Int
        ) {
            for option in 0..<(hasMissing[j] ? 2 : 1) {
                let missingLeft = option == 1
                var la = 0
                var lv = -Double.infinity
                var ra = 0
                var rv = -Double.infinity
                for a in 0..<m {
                    let left = c[a] + (missingLeft ? missing[a] : 0)
                    let right = total[a] - left
                    if left > lv { (la, lv) = (a, left) }
                    if right > rv { (ra, rv) = (a, right) }
                }
                let value = lv + rv
                if value > unconstrained { unconstrained = value }
                let nl = unitsLeft + (missingLeft ? missingUnits : 0)
                if value > best && nl >= minLeaf && count - nl >= minLeaf {
                    best = value
                    node = .split(
                        feature: j,
                        threshold: thresholds[j][k],
                        missingGoesLeft: missingLeft,
                        left: .leaf(arm: la),
                        right: .leaf(arm: ra)
                    )
                }
            }
        }

        for j in 0..<features {
            let groupsHere = groupStart[j].count - 1
            let missingRow = go[j] + groupsHere
            let missing = UnsafeMutableBufferPointer(rebasing: g[(missingRow * m)..<(missingRow * m + m)])
            let missingUnits = gc[missingRow]
            for a in 0..<m { c[a] = 0 }
            var unitsLeft = 0
            for group in 0..<groupsHere {
                let row = go[j] + group
                if groupStart[j][group + 1] - groupStart[j][group] > 1 {
                    // A threshold inside the group leaves part of it on each side; with rewards
                    // ≥ 0, the left side's sums are at most those through the group and the
                    // right side's at most those from the group on, arm by arm.
                    var bound = -Double.infinity
                    for option in 0..<(hasMissing[j] ? 2 : 1) {
                        var l = -Double.infinity
                        var r = -Double.infinity
                        for a in 0..<m {
                            let extra = option == 1 ? missing[a] : 0
                            l = max(l, c[a] + g[row * m + a] + extra)
                            r = max(r, total[a] - c[a] - extra)
                        }
                        bound = max(bound, l + r)
                    }
                    if bound > best {
                        scratch.pending.append((bound, j, group, unitsLeft, scratch.pendingSums.count))
                        for a in 0..<m { scratch.pendingSums.append(c[a]) }
                    }
                }
                for a in 0..<m { c[a] += g[row * m + a] }
                unitsLeft += gc[row]
                if group < groupsHere - 1 {
                    evaluate(j, groupStart[j][group + 1] - 1, missing, missingUnits, unitsLeft)
                }
            }
        }
        // Refine the groups whose bound beats the best split, most promising first.
        if !scratch.pending.isEmpty {
            scratch.pending.sort { $0.bound > $1.bound }
            for item in scratch.pending where item.bound > best {
                let j = item.feature
                let missingRow = go[j] + groupStart[j].count - 1
                let missing = UnsafeMutableBufferPointer(rebasing: g[(missingRow * m)..<(missingRow * m + m)])
                let missingUnits = gc[missingRow]
                for a in 0..<m { c[a] = scratch.pendingSums[item.slot + a] }
                var unitsLeft = item.unitsBefore
                let range = groupStart[j][item.group]..<(groupStart[j][item.group + 1] - 1)
                // The fine rows of this side: the set's own, or the whole's minus the set's.
                s.fine.withUnsafeBufferPointer { own in
                    if let whole {
                        whole.fine.withUnsafeBufferPointer { all in
                            for k in range {
                                let base = (fo[j] + k) * m
                                for a in 0..<m { c[a] += all[base + a] - own[base + a] }
                                unitsLeft += whole.fineUnits[fo[j] + k] - s.fineUnits[fo[j] + k]
                                evaluate(j, k, missing, missingUnits, unitsLeft)
                            }
                        }
                    } else {
                        for k in range {
                            let base = (fo[j] + k) * m
                            for a in 0..<m { c[a] += own[base + a] }
                            unitsLeft += s.fineUnits[fo[j] + k]
                            evaluate(j, k, missing, missingUnits, unitsLeft)
                        }
                    }
                }
            }
        }
        return DepthOne(node: node, value: best, unconstrained: unconstrained)
    }

    /// The best tree of depth ≤ 2 of a set of units. The root features are searched on every
    /// core at once (`bestRoot`), sharing the best value found so far as a floor for pruning.
    /// Only a bound strictly below the floor prunes, and results are merged by value, then by the
    /// lowest feature, so the tree does not depend on which core got there first.
    func bestDepthTwo(_ members: [Int32]) -> (PolicyTree.Node, Double) {
        let whole = sums(members)
        let start = depthOne(whole, minus: nil, scratch: makeScratch())
        let wholeMax = members.reduce(0.0) { $0 + unitMax[Int($1)] }
        let floor = SharedFloor(start.value)
        let found = Mutex<[(feature: Int, node: PolicyTree.Node, value: Double)]>([])
        DispatchQueue.concurrentPerform(iterations: features) { j in
            if let best = bestRoot(feature: j, members, whole: whole, wholeMax: wholeMax, floor: floor) {
                found.withLock { $0.append((j, best.node, best.value)) }
            }
        }
        var bestNode = start.node
        var best = start.value
        for candidate in found.withLock({ $0 }).sorted(by: { $0.feature < $1.feature }) where candidate.value > best {
            (bestNode, best) = (candidate.node, candidate.value)
        }
        return (bestNode, best)
    }

    /// The best depth-2 tree whose root splits feature j, if one is at least `floor`. A first
    /// sweep evaluates the thresholds between groups exactly; a threshold inside a group then has
    /// at most best(L at the group's end) + best(R at its start) (rewards ≥ 0: a subset never
    /// earns more), and a second sweep evaluates only the groups whose bound reaches the floor.
    func bestRoot(
        feature j: Int,
        _ members: [Int32],
        whole: Sums,
        wholeMax: Double,
        floor: SharedFloor
    ) -> (node: PolicyTree.Node, value: Double)? {
        let scratch = makeScratch()
        var bestNode: PolicyTree.Node?
        var localBest = -Double.infinity
        let go = groupOffset
        let fo = fineOffset
        /// What a bound must reach to be worth evaluating: the best of every core so far.
        func pruneBelow() -> Double { max(localBest, floor.value) }
        // The members in the order of feature j's fine bins (a counting sort), missing apart.
        var missingUnits: [Int32] = []
        var byBin = [[Int32]](repeating: [], count: fineCount[j])
        for i in members {
            let b = fineBin[j * units + Int(i)]
            if b < 0 { missingUnits.append(i) } else { byBin[Int(b)].append(i) }
        }
        let groupsHere = groupStart[j].count - 1
        let refined = groupsHere < fineCount[j]
        for missingLeft in missingUnits.isEmpty ? [false] : [false, true] {
            func initialLeft() -> (Sums, Double) {
                var left = emptySums()
                var moved = 0.0
                if missingLeft {
                    for i in missingUnits {
                        add(Int(i), to: &left, groupOffset: go, fineOffset: fo)
                        moved += unitMax[Int(i)]
                    }
                }
                return (left, moved)
            }
            func consider(_ left: Sums, _ k: Int) -> (Double, Double) {
                let l = depthOne(left, minus: nil, scratch: scratch)
                let r = depthOne(left, minus: whole, scratch: scratch)
                if l.value + r.value > localBest {
                    localBest = l.value + r.value
                    floor.raise(to: localBest)
                    bestNode = .split(
                        feature: j,
                        threshold: thresholds[j][k],
                        missingGoesLeft: missingLeft,
                        left: l.node,
                        right: r.node
                    )
                }
                return (l.unconstrained, r.unconstrained)
            }
            // First sweep: the thresholds between groups, and each boundary's bounds (the
            // sums of max_a Γ when the boundary is not a valid split and was not evaluated).
            var (left, leftMax) = initialLeft()
            var upperLeft = [Double](repeating: 0, count: groupsHere + 1)
            var upperRight = [Double](repeating: 0, count: groupsHere + 1)
            upperLeft[0] = leftMax
            upperRight[0] = wholeMax - leftMax
            for group in 0..<groupsHere {
                for k in groupStart[j][group]..<groupStart[j][group + 1] {
                    for i in byBin[k] {
                        add(Int(i), to: &left, groupOffset: go, fineOffset: fo)
                        leftMax += unitMax[Int(i)]
                    }
                }
                upperLeft[group + 1] = leftMax
                upperRight[group + 1] = wholeMax - leftMax
                let k = groupStart[j][group + 1] - 1
                guard group < groupsHere - 1, left.count >= minLeaf, whole.count - left.count >= minLeaf else {
                    continue
                }
                (upperLeft[group + 1], upperRight[group + 1]) = consider(left, k)
            }
            guard refined else { continue }
            // Second sweep: inside the groups. Moving units D from one side to the other changes
            // a threshold's value by at most Σ_D (max_a Γ − min_a Γ) = Σ_D unitMax (each side's
            // best tree can be applied to the other set), so a threshold is skipped while the
            // nearest evaluated one before it, or the group's end after it, plus the ranges of
            // the units between them stays below the floor.
            (left, _) = initialLeft()
            for group in 0..<groupsHere {
                let range = groupStart[j][group]..<groupStart[j][group + 1]
                let promising = upperLeft[group + 1] + upperRight[group] >= pruneBelow()
                guard promising else {
                    for k in range { for i in byBin[k] { add(Int(i), to: &left, groupOffset: go, fineOffset: fo) } }
                    continue
                }
                // The ranges after each bin up to the group's end, for the bound from the end.
                var rangeAfter = [Double](repeating: 0, count: range.count)
                var after = 0.0
                for k in range.reversed() {
                    rangeAfter[k - range.lowerBound] = after
                    for i in byBin[k] { after += unitMax[Int(i)] }
                }
                let endBound = upperLeft[group + 1] + upperRight[group + 1]
                var anchor = upperLeft[group] + upperRight[group]
                for k in range {
                    for i in byBin[k] {
                        add(Int(i), to: &left, groupOffset: go, fineOffset: fo)
                        anchor += unitMax[Int(i)]
                    }
                    let bound = min(anchor, endBound + rangeAfter[k - range.lowerBound])
                    guard k < range.upperBound - 1, bound >= pruneBelow(),
                        left.count >= minLeaf, whole.count - left.count >= minLeaf
                    else { continue }
                    let (l, r) = consider(left, k)
                    anchor = l + r
                }
            }
        }
        return bestNode.map { ($0, localBest) }
    }
}

/// The best value any core has found, read by all of them to prune.
final class SharedFloor: Sendable {
    private let storage: Mutex<Double>
    init(_ value: Double) { storage = Mutex(value) }
    var value: Double { storage.withLock { $0 } }
    func raise(to value: Double) { storage.withLock { $0 = max($0, value) } }
}
