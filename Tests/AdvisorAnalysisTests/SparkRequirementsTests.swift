import Foundation
import Testing

/// What the Spark job imports is what the README lists and what `ensure_spark` checks and
/// installs: a package missing from either only shows on a cluster, as an import error.
@Suite("Spark job requirements")
struct SparkRequirementsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The Python standard library modules the job imports (everything else comes from PyPI).
    static let standardLibrary: Set<String> = ["argparse", "json", "math", "socket", "sys", "time", "pickle"]
    /// PyPI names of the modules whose package is named otherwise.
    static let pipName = ["sklearn": "scikit-learn", "yaml": "pyyaml"]
    /// Needed though not imported by name: xgboost.spark imports scikit-learn, mapInPandas Arrow.
    static let indirect: Set<String> = ["sklearn", "pyarrow"]

    /// Top-level modules of every `import X` / `from X import` line in `text`.
    static func imports(_ text: String) -> Set<String> {
        var modules: Set<String> = []
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count >= 2, words[0] == "import" || words[0] == "from" else { continue }
            modules.insert(String(words[1].split(separator: ".")[0]).trimmingCharacters(in: .punctuationCharacters))
        }
        return modules
    }

    @Test("Every package the job imports is in the README's list and in ensure_spark's check and install")
    func listed() throws {
        let job = try String(contentsOfFile: Self.root + "/spark/advisor_job.py", encoding: .utf8)
        let needed = Self.imports(job).subtracting(Self.standardLibrary).union(Self.indirect)
        #expect(needed.contains("pandas") && needed.contains("pyspark") && needed.contains("xgboost"))

        let readme = try String(contentsOfFile: Self.root + "/README.md", encoding: .utf8)
        let list = try #require(readme.range(of: "The job needs ").map { readme[$0.upperBound...] })
        let sentence = try #require(list.range(of: " on the driver").map { list[..<$0.lowerBound] })
        let script = try String(contentsOfFile: Self.root + "/scripts/system-packages.sh", encoding: .utf8)
        let function = try #require(script.range(of: "ensure_spark() {").map { script[$0.upperBound...] })
            .prefix { $0 != "}" }
        let check = try #require(function.range(of: "import ").map { function[$0.upperBound...] })
            .prefix { $0 != "'" }.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let install = try #require(function.range(of: "pip install --quiet ").map { function[$0.upperBound...] })
            .prefix { $0 != "\n" }.split(separator: " ").map(String.init)

        for module in needed.sorted() {
            let package = Self.pipName[module] ?? module
            #expect(sentence.contains("`\(package)`"), "README's list lacks \(package)")
            #expect(check.contains(module), "ensure_spark does not check \(module): \(check)")
            #expect(install.contains(package), "ensure_spark does not install \(package): \(install)")
        }
        // Every package installed is checked, or a machine missing only it would never get it.
        #expect(install.count == check.count, "\(install) vs \(check)")
    }
}
