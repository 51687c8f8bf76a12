import Foundation

/// Marsaglia & Tsang's ziggurat (J. Stat. Software 5(8), 2000) for standard normal draws.
///
/// The literal simulator spends most of its time drawing normals; the polar method needs a log
/// and a square root per pair, the ziggurat needs one table look-up in 98% of draws. The tables
/// are those of the paper's 128-layer RNOR.
struct Ziggurat: Sendable {
    let kn: [UInt32]
    let wn: [Double]
    let fn: [Double]
    static let r = 3.442_619_855_899

    static let shared = Ziggurat()

    private init() {
        let m1 = 2_147_483_648.0
        var dn = Self.r
        var tn = dn
        let vn = 9.912_563_035_262_17e-3
        var kn = [UInt32](repeating: 0, count: 128)
        var wn = [Double](repeating: 0, count: 128)
        var fn = [Double](repeating: 0, count: 128)
        let q = vn / exp(-0.5 * dn * dn)
        kn[0] = UInt32(dn / q * m1)
        kn[1] = 0
        wn[0] = q / m1
        wn[127] = dn / m1
        fn[0] = 1
        fn[127] = exp(-0.5 * dn * dn)
        for i in stride(from: 126, through: 1, by: -1) {
            dn = (-2 * log(vn / dn + exp(-0.5 * dn * dn))).squareRoot()
            kn[i + 1] = UInt32(dn / tn * m1)
            tn = dn
            fn[i] = exp(-0.5 * dn * dn)
            wn[i] = dn / m1
        }
        self.kn = kn
        self.wn = wn
        self.fn = fn
    }

    /// One standard normal draw.
    @inline(__always)
    func next(using rng: inout some RandomNumberGenerator) -> Double {
        while true {
            let hz = Int32(truncatingIfNeeded: rng.next())
            let iz = Int(hz & 127)
            let x = Double(hz) * wn[iz]
            if hz.magnitude < kn[iz] { return x }
            if iz == 0 {
                // The base strip's tail beyond r: Marsaglia's exponential rejection.
                var tail: Double
                var y: Double
                repeat {
                    tail = -log(rng.nextOpenUnit()) / Self.r
                    y = -log(rng.nextOpenUnit())
                } while y + y < tail * tail
                return hz > 0 ? Self.r + tail : -Self.r - tail
            }
            if fn[iz] + rng.nextOpenUnit() * (fn[iz - 1] - fn[iz]) < exp(-0.5 * x * x) { return x }
        }
    }
}
