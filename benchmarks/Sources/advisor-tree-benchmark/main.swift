import AdvisorModel
import Foundation

/// The policy-tree search on synthetic doubly robust scores, for BENCHMARKS.md: depth 2 binned at
/// n = 100,000 and exact at n = 10,000 (p = 30 continuous covariates, m = 20 arms, the published
/// policytree/fastpolicytree anchors' sizes), and the search against a plain brute force on a
/// small problem. Prints one JSON object. Run through benchmarks/tree.sh.

func seconds<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let value = try body()
    return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

/// Scores with structure a tree can find (two covariates pick the arm) plus noise, as doubly
/// robust scores have: Γ[i][a] = 1[a = best(x_i)] + N(0, 2²).
func problem(units n: Int, features p: Int, arms m: Int, seed: UInt64) -> (FeatureMatrix, [[Double]]) {
    var rng = SplitMix64(seed: seed)
    var values = [Float](repeating: 0, count: n * p)
    var rewards: [[Double]] = []
    rewards.reserveCapacity(n)
    for i in 0..<n {
        for j in 0..<p { values[i * p + j] = Float(rng.nextOpenUnit()) }
        let best = (Int(values[i * p] * 4) + 4 * Int(values[i * p + 1] * 5)) % m
        rewards.append((0..<m).map { ($0 == best ? 1 : 0) + 2 * Normal.quantile(rng.nextOpenUnit()) })
    }
    return (FeatureMatrix(values: values, rows: n, columns: p), rewards)
}

let arguments = CommandLine.arguments.dropFirst()
let scale = Double(arguments.first ?? "1") ?? 1  // CI runs a fraction of the sizes
/// The exact search's size, apart (it is the slow one).
let exactScale = Double(arguments.dropFirst().first ?? "\(scale)") ?? scale
var result: [String: Any] = ["scale": scale]

let binnedUnits = Int(100_000 * scale)
let (xb, rb) = problem(units: binnedUnits, features: 30, arms: 20, seed: 1)
var binned = PolicyTreeSettings()
binned.minLeafSize = 50
let ((binnedRoot, binnedReward), binnedSeconds) = seconds {
    PolicyTreeSearch(features: xb, rewards: rb, settings: binned).search(depth: 2)
}
// What `assign` does per unit once the units are read: the tree's arm, ten passes over the units.
let tree = PolicyTree(name: "policy-tree", root: binnedRoot)
let (assigned, assignSeconds) = seconds { (0..<10).reduce(0) { total, _ in total + tree.assign(xb).count } }
result["assign_units_per_second"] = Double(assigned) / assignSeconds
result["binned_units"] = binnedUnits
result["binned_seconds"] = binnedSeconds
result["binned_reward"] = binnedReward

let exactUnits = Int(10_000 * exactScale)
let (xe, re) = problem(units: exactUnits, features: 30, arms: 20, seed: 2)
var exact = PolicyTreeSettings()
exact.exact = true
if let groups = ProcessInfo.processInfo.environment["TREE_EXACT_GROUPS"].flatMap(Int.init) { exact.bins = groups }
exact.minLeafSize = 50
let ((_, exactReward), exactSeconds) = seconds {
    PolicyTreeSearch(features: xe, rewards: re, settings: exact).search(depth: 2)
}
result["exact_units"] = exactUnits
result["exact_seconds"] = exactSeconds
result["exact_reward"] = exactReward

// The search against a brute force written plainly, on a small problem of the same kind: every
// root split, and below it every split of each side, each side's arm chosen by its summed reward.
// Rewards are rounded to multiples of 1/64 so every sum is exact in binary, whatever the order:
// the two rewards must agree to the last digit.
func bruteForceDepthTwo(_ x: FeatureMatrix, _ r: [[Double]], minLeaf: Int) -> Double {
    let arms = r[0].count
    func leaf(_ units: [Int]) -> Double {
        (0..<arms).map { a in units.reduce(0) { $0 + r[$1][a] } }.max() ?? 0
    }
    func splits(_ units: [Int]) -> [([Int], [Int])] {
        var result: [([Int], [Int])] = []
        for j in 0..<x.columns {
            for t in Set(units.map { x[$0, j] }).sorted().dropLast() {
                let left = units.filter { x[$0, j] <= t }
                let right = units.filter { x[$0, j] > t }
                if left.count >= minLeaf && right.count >= minLeaf { result.append((left, right)) }
            }
        }
        return result
    }
    func depthOne(_ units: [Int]) -> Double {
        splits(units).reduce(leaf(units)) { max($0, leaf($1.0) + leaf($1.1)) }
    }
    let all = Array(0..<x.rows)
    return splits(all).reduce(depthOne(all)) { max($0, depthOne($1.0) + depthOne($1.1)) }
}
let (xs, noisy) = problem(units: 150, features: 4, arms: 5, seed: 3)
let rs = noisy.map { $0.map { ($0 * 64).rounded() / 64 } }
var small = PolicyTreeSettings()
small.exact = true
small.bins = 8  // groups of about 19 values: the bounds and the refinement are exercised
small.minLeafSize = 10
let (searched, smallSeconds) = seconds { PolicyTreeSearch(features: xs, rewards: rs, settings: small).search(depth: 2) }
let (brute, bruteSeconds) = seconds { bruteForceDepthTwo(xs, rs, minLeaf: small.minLeafSize) }
result["small_units"] = xs.rows
result["small_reward"] = searched.reward
result["small_seconds"] = smallSeconds
result["brute_force_reward"] = brute
result["brute_force_seconds"] = bruteSeconds

// The binned problem for the same-run peer (EconML's greedy PolicyTree on the same scores):
// features as Float32 and rewards as Float64, row-major, raw.
if let out = arguments.dropFirst(2).first {
    let x = Data(bytes: xb.values, count: xb.values.count * 4)
    let r = rb.flatMap { $0 }
    try x.write(to: URL(fileURLWithPath: out + ".x.f32"))
    try r.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: out + ".r.f64"))
    result["binned_features"] = xb.columns
    result["binned_arms"] = rb.first?.count ?? 0
}

let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
