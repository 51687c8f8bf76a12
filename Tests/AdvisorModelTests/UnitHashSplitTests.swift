import AdvisorModel
import Testing

/// The split places a unit by a seeded hash of its key, as Spark's `xxhash64` computes it, so
/// the Spark job and one machine split a drop alike.
@Suite("Unit-hash split")
struct UnitHashSplitTests {
    /// Values printed by PySpark 4.0 (`xxhash64(u)` and `xxhash64(lit(20240601).cast("long"), u)`,
    /// unsigned), the same run for every row: the hash is Spark's bit for bit, including the
    /// 32-byte stripes and a non-ASCII id.
    @Test(
        "XXH64 equals Spark's xxhash64 on strings, seeded and not, and on a long",
        arguments: [
            ("", 11_002_672_306_508_523_268 as UInt64, 1_981_685_936_809_675_828 as UInt64),
            ("a", 9_864_288_744_972_464_332, 12_031_832_651_138_622_699),
            ("unit-12345", 1_081_086_481_279_355_396, 2_671_648_653_791_910_774),
            ("ünï", 14_070_457_088_475_103_841, 17_845_382_205_854_485_800),
            (
                "a-much-longer-unit-identifier-over-32-bytes-long", 18_357_240_596_907_893_120,
                9_458_383_927_878_405_219
            ),
        ]
    )
    func sparkValues(id: String, plain: UInt64, seeded: UInt64) {
        #expect(XXHash64.hash(id, seed: XXHash64.sparkSeed) == plain)
        #expect(XXHash64.hash(id, seed: TLearnerSplit.seedKey(20_240_601)) == seeded)
        #expect(XXHash64.hash(Int64(7), seed: XXHash64.sparkSeed) == 15_582_532_517_514_291_953)
    }

    @Test("A unit lands in the same part whatever the rows' order; the parts have their shares")
    func orderFree() {
        let truth = SyntheticExperiment(sigma: 0.2, rho: 0.3, armMeans: [0, 0.1, 0.2], noise: 0.5)
        var data = truth.generate(units: 20_000, seed: 4)
        data.unitKeys = (0..<data.units).map { XXHash64.hash("unit-\($0)", seed: XXHash64.sparkSeed) }
        let split = TLearnerSplit(data: data, holdoutShare: 0.3, validationShare: 0.2, seed: 11)
        // The same units in reverse row order.
        let reversed = Array((0..<data.units).reversed())
        var shuffled = ExperimentData(
            armNames: data.armNames,
            arm: reversed.map { data.arm[$0] },
            outcome: reversed.map { data.outcome[$0] },
            features: data.features.rows(reversed),
            propensity: reversed.map { data.propensity[$0] }
        )
        shuffled.unitKeys = reversed.map { data.unitKeys?[$0] ?? 0 }
        let other = TLearnerSplit(data: shuffled, holdoutShare: 0.3, validationShare: 0.2, seed: 11)
        let n = data.units
        #expect(Set(split.holdout) == Set(other.holdout.map { n - 1 - $0 }))
        #expect(Set(split.validationRows.flatMap { $0 }) == Set(other.validationRows.flatMap { $0 }.map { n - 1 - $0 }))
        // Binomial shares: 30% held out (SD 0.3%), 20% of the rest for validation; 4 SD.
        let holdoutShare = Double(split.holdout.count) / Double(n)
        let validationShare = Double(split.validationRows.flatMap { $0 }.count) / Double(split.training.count)
        #expect(abs(holdoutShare - 0.3) < 4 * (0.3 * 0.7 / Double(n)).squareRoot(), "\(holdoutShare)")
        #expect(abs(validationShare - 0.2) < 4 * (0.2 * 0.8 / Double(split.training.count)).squareRoot())
        // Another seed, another split.
        let reseeded = TLearnerSplit(data: data, holdoutShare: 0.3, validationShare: 0.2, seed: 12)
        #expect(Set(reseeded.holdout) != Set(split.holdout))
    }
}
