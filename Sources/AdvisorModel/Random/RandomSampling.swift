import Foundation

/// Draws from the distributions the engine needs (normal, gamma, beta, Student-t).
///
/// The Swift standard library only gives uniform draws and no package here adds these, so they
/// are written out with the classic algorithms named below.
extension RandomNumberGenerator {
    /// A uniform index in 0..<n by Lemire's multiply-shift, without the 64-bit division of
    /// `next() % n` in the bootstrap loops. Its bias is below n/2⁶⁴, negligible for any n here.
    @inline(__always)
    public mutating func nextIndex(below n: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// A uniform draw in the open interval (0, 1): never 0, so logs and quantiles stay finite.
    @inlinable
    public mutating func nextOpenUnit() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// A standard normal draw (Marsaglia's polar method; the second value of the pair is dropped
    /// to keep the generator free of hidden state).
    @inlinable
    public mutating func nextStandardNormal() -> Double {
        while true {
            let u = 2 * nextOpenUnit() - 1
            let v = 2 * nextOpenUnit() - 1
            let r = u * u + v * v
            if r < 1 && r > 0 {
                return u * (-2 * log(r) / r).squareRoot()
            }
        }
    }

    /// Fills `buffer` with standard normal draws (ziggurat: the simulator's hot path).
    public mutating func fillStandardNormal(_ buffer: inout [Double]) {
        let ziggurat = Ziggurat.shared
        for i in buffer.indices { buffer[i] = ziggurat.next(using: &self) }
    }

    /// A Gamma(shape, 1) draw (Marsaglia & Tsang 2000; shape < 1 boosted by U^(1/shape)).
    public mutating func nextGamma(shape: Double) -> Double {
        precondition(shape > 0, "gamma shape must be positive")
        if shape < 1 {
            let boost = pow(nextOpenUnit(), 1 / shape)
            return nextGamma(shape: shape + 1) * boost
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = nextStandardNormal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = nextOpenUnit()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }

    /// A Beta(alpha, beta) draw on [0, 1], from two gamma draws.
    public mutating func nextBeta(alpha: Double, beta: Double) -> Double {
        let x = nextGamma(shape: alpha)
        let y = nextGamma(shape: beta)
        return x / (x + y)
    }

    /// A Student-t draw with `degreesOfFreedom` degrees of freedom (normal over sqrt(χ²/ν)).
    public mutating func nextStudentT(degreesOfFreedom nu: Double) -> Double {
        let z = nextStandardNormal()
        let chiSquare = 2 * nextGamma(shape: nu / 2)
        return z / (chiSquare / nu).squareRoot()
    }
}
