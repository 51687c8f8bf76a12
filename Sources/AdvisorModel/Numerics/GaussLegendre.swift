import Foundation

/// Composite Gauss–Legendre quadrature on a finite interval.
///
/// The gain integrands are smooth products of normal CDFs whose features have width ω (the
/// noise SD), so equal panels of width about ω/2 with a 16-point rule reach near machine
/// precision; adaptive schemes would only add bookkeeping.
public struct GaussLegendre: Sendable {
    /// Nodes on [−1, 1].
    public let nodes: [Double]
    /// Weights matching `nodes`; they sum to 2.
    public let weights: [Double]

    /// The rule with `order` points, computed by Newton's method on the Legendre recurrence.
    public init(order: Int) {
        precondition(order >= 2, "a Gauss–Legendre rule here has at least two nodes")
        var nodes = [Double](repeating: 0, count: order)
        var weights = [Double](repeating: 0, count: order)
        let n = Double(order)
        for i in 0..<(order + 1) / 2 {
            var x = cos(Double.pi * (Double(i) + 0.75) / (n + 0.5))
            var derivative = 0.0
            for _ in 0..<100 {
                var p0 = 1.0
                var p1 = x
                for k in 2...order {
                    let kk = Double(k)
                    let p2 = ((2 * kk - 1) * x * p1 - (kk - 1) * p0) / kk
                    p0 = p1
                    p1 = p2
                }
                derivative = n * (x * p1 - p0) / (x * x - 1)
                let step = p1 / derivative
                x -= step
                if abs(step) < 1e-16 { break }
            }
            nodes[i] = -x
            nodes[order - 1 - i] = x
            let w = 2 / ((1 - x * x) * derivative * derivative)
            weights[i] = w
            weights[order - 1 - i] = w
        }
        self.nodes = nodes
        self.weights = weights
    }

    /// The 16-point rule used throughout the engine.
    public static let sixteen = GaussLegendre(order: 16)

    /// Absolute nodes and weights for `panels` equal panels over [lower, upper].
    public func grid(from lower: Double, to upper: Double, panels: Int) -> (nodes: [Double], weights: [Double]) {
        precondition(upper > lower && panels >= 1, "a quadrature grid needs lower < upper and a panel")
        let width = (upper - lower) / Double(panels)
        var t = [Double]()
        var w = [Double]()
        t.reserveCapacity(panels * nodes.count)
        w.reserveCapacity(panels * nodes.count)
        for panel in 0..<panels {
            let mid = lower + (Double(panel) + 0.5) * width
            for j in nodes.indices {
                t.append(mid + 0.5 * width * nodes[j])
                w.append(0.5 * width * weights[j])
            }
        }
        return (t, w)
    }

    /// ∫ f over [lower, upper] with `panels` equal panels.
    public func integrate(from lower: Double, to upper: Double, panels: Int, _ f: (Double) -> Double) -> Double {
        let width = (upper - lower) / Double(panels)
        var total = 0.0
        for panel in 0..<panels {
            let mid = lower + (Double(panel) + 0.5) * width
            var sum = 0.0
            for j in nodes.indices {
                sum += weights[j] * f(mid + 0.5 * width * nodes[j])
            }
            total += 0.5 * width * sum
        }
        return total
    }
}
