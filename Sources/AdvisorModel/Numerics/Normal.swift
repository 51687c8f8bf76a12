import Foundation

/// The standard normal distribution: density, CDF, log-CDF and quantile.
///
/// Written by hand because no package on this machine (swift-numerics included) provides them.
/// The log-CDF matters: the m-arm integrals multiply up to a thousand CDFs, and doing that in
/// log space is what keeps m = 1000 finite.
public enum Normal {
    static let inverseSqrt2Pi = 0.398_942_280_401_432_677_94
    static let logSqrt2Pi = 0.918_938_533_204_672_741_78

    /// φ(x).
    @inlinable
    public static func density(_ x: Double) -> Double {
        0.398_942_280_401_432_677_94 * exp(-0.5 * x * x)
    }

    /// Φ(x), accurate in both tails (erfc does not cancel).
    @inlinable
    public static func cdf(_ x: Double) -> Double {
        0.5 * erfc(-x * 0.707_106_781_186_547_524_40)
    }

    /// 1 − Φ(x) without cancellation.
    @inlinable
    public static func survival(_ x: Double) -> Double {
        0.5 * erfc(x * 0.707_106_781_186_547_524_40)
    }

    /// log Φ(x), finite for every finite x.
    ///
    /// Below x = −37 erfc underflows, so the asymptotic (Mills ratio) series is used there; its
    /// truncation error at x = −37 is below 1e−13 relative.
    public static func logCDF(_ x: Double) -> Double {
        if x > 0 {
            return log1p(-survival(x))
        }
        if x > -37 {
            return log(cdf(x))
        }
        let r = 1 / (x * x)
        let series = 1 - r * (1 - 3 * r * (1 - 5 * r * (1 - 7 * r)))
        return -0.5 * x * x - logSqrt2Pi - log(-x) + log(series)
    }

    /// Φ⁻¹(p) for 0 < p < 1: Wichura's AS 241 (PPND16), relative error about 1e−16.
    public static func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "Normal.quantile needs 0 < p < 1")
        let q = p - 0.5
        if abs(q) <= 0.425 {
            let r = 0.180625 - q * q
            let num =
                (((((((2509.080_928_730_122_7 * r + 33430.575_583_588_128) * r + 67265.770_927_008_700) * r
                    + 45921.953_931_549_871) * r + 13731.693_765_509_461) * r + 1971.590_950_306_551_3) * r
                    + 133.141_667_891_784_38) * r + 3.387_132_872_796_366_5)
            let den =
                (((((((5226.495_278_852_545_4 * r + 28729.085_735_721_942) * r + 39307.895_800_092_710) * r
                    + 21213.794_301_586_595) * r + 5394.196_021_424_751_1) * r + 687.187_007_492_057_91) * r
                    + 42.313_330_701_600_911) * r + 1.0)
            return q * num / den
        }
        var r = q < 0 ? p : 1 - p
        r = sqrt(-log(r))
        var value: Double
        if r <= 5 {
            r -= 1.6
            let num =
                (((((((7.745_450_142_783_414_07e-4 * r + 0.022_723_844_989_269_184_0) * r
                    + 0.241_780_725_177_450_612) * r + 1.270_458_252_452_368_38) * r
                    + 3.647_848_324_763_204_61) * r + 5.769_497_221_460_691_41) * r
                    + 4.630_337_846_156_545_30) * r + 1.423_437_110_749_683_58)
            let den =
                (((((((1.050_750_071_644_416_84e-9 * r + 5.475_938_084_995_344_95e-4) * r
                    + 0.015_198_666_563_616_457_2) * r + 0.148_103_976_427_480_075) * r
                    + 0.689_767_334_985_100_005) * r + 1.676_384_830_183_803_85) * r
                    + 2.053_191_626_637_758_82) * r + 1.0)
            value = num / den
        } else {
            r -= 5
            let num =
                (((((((2.010_334_399_292_288_13e-7 * r + 2.711_555_568_743_487_58e-5) * r
                    + 0.001_242_660_947_388_078_43) * r + 0.026_532_189_526_576_123_1) * r
                    + 0.296_560_571_828_504_891) * r + 1.784_826_539_917_291_33) * r
                    + 5.463_784_911_164_114_20) * r + 6.657_904_643_501_103_77)
            let den =
                (((((((2.044_263_103_389_939_78e-15 * r + 1.421_511_758_316_445_89e-7) * r
                    + 1.846_318_317_510_054_68e-5) * r + 7.868_691_311_456_132_59e-4) * r
                    + 0.014_875_361_290_850_614_8) * r + 0.136_929_880_922_735_805) * r
                    + 0.599_832_206_555_887_938) * r + 1.0)
            value = num / den
        }
        return q < 0 ? -value : value
    }
}
