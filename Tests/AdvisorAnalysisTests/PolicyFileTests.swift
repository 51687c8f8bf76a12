import AdvisorAnalysis
import AdvisorFormats
import AdvisorIngest
import AdvisorModel
import AdvisorXGBoost
import Foundation
import Testing

@Suite("Policy files and assign")
struct PolicyFileTests {
    /// A drop with numeric covariates, a text one (a category per arm-ish region) and missing cells.
    static func writeDrop(units: Int, seed: UInt64) throws -> (path: String, directory: String) {
        let truth = SyntheticExperiment(sigma: 0.4, rho: 0.1, armMeans: [1, 1.02, 1.04], noise: 0.5)
        let data = truth.generate(units: units, seed: seed)
        var text =
            "unit_id,arm,outcome," + (0..<data.features.columns).map { "x\($0)" }.joined(separator: ",")
            + ",channel\n"
        let channels = ["web", "app", "store"]
        for i in 0..<data.units {
            let xs = (0..<data.features.columns).map { j -> String in
                i % 37 == j ? "" : String(format: "%.4f", Double(data.features[i, j]))
            }
            text += "u\(i),\(data.armNames[data.arm[i]]),\(String(format: "%.4f", data.outcome[i])),"
            text += xs.joined(separator: ",") + ",\(i % 53 == 0 ? "" : channels[i % 3])\n"
        }
        var template = Array("/tmp/advisor-policy-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let path = directory + "/drop.csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, directory)
    }

    /// A verdict for `drop` with a ridge T-learner (what a policy file records beside the policy).
    static func verdict(
        _ drop: DataDrop,
        settings: AnalysisSettings = AnalysisSettings()
    ) throws
        -> PostExperimentVerdict
    {
        try PostExperimentAnalyzer(settings: settings).analyze(
            experiment: "p",
            data: drop.data,
            covariateNames: drop.covariateNames,
            binaryOutcome: false,
            models: [("ridge", RidgeOutcomeModel())]
        ).verdict
    }

    static func assign(_ file: PolicyFile, data: String, directory: String) throws -> [String: String] {
        let policyPath = directory + "/\(file.policy).json"
        try file.json().write(toFile: policyPath, atomically: true, encoding: .utf8)
        let loaded = try PolicyFile.load(path: policyPath)
        #expect(loaded == file, "the file reads back as written")
        var arms: [String: String] = [:]
        _ = try PolicyAssignment.run(policy: loaded, policyPath: policyPath, dataPath: data) { arms[$0] = $1 }
        return arms
    }

    @Test("assign on the holdout reproduces the analysis's arm for every unit: XGBoost T-learner, ridge, trees")
    func roundTrip() throws {
        let (path, directory) = try Self.writeDrop(units: 6_000, seed: 12)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let drop = try CSVDataFile.read(path: path, manifest: DataManifest())
        var settings = AnalysisSettings()
        settings.bootstrap = 20
        typealias Stage = PostExperimentAnalysis
        let split = Stage.split(drop.data, settings: settings)
        var boosting = BoostingParameters()
        boosting.maxRounds = 40
        let fits = try Stage.fitOutcomeModels(
            split: split,
            models: [
                ("xgboost-t-learner", BoostedTreesOutcomeModel(parameters: boosting)), ("ridge", RidgeOutcomeModel()),
            ]
        )
        let candidates =
            Stage.policies(data: drop.data, fits: fits)
            + (try Stage.trees(data: drop.data, split: split, primary: fits[0], settings: settings))
        let verdict = try Self.verdict(drop, settings: settings)
        #expect(drop.covariateEncoding.last?.categories == ["app", "store", "web"], "in order of first appearance")
        for candidate in candidates {
            let file = try PolicyFile.make(
                policy: candidate.policy,
                verdict: verdict,
                arms: drop.data.armNames,
                covariates: drop.covariateEncoding,
                dataHash: PolicyFile.dataHash(path: path)
            )
            let assigned = try Self.assign(file, data: path, directory: directory)
            #expect(assigned.count == drop.data.units)
            var differ = 0
            for (k, unit) in split.holdout.enumerated()
            where assigned["u\(unit)"] != drop.data.armNames[candidate.assignment[k]] {
                differ += 1
            }
            #expect(differ == 0, "\(candidate.policy.name): \(differ) holdout units get another arm")
        }
    }

    @Test("A guarded T-learner (guardrail models and weights, version 2) round-trips: assign reproduces its arms")
    func guardedRoundTrip() throws {
        let (path, directory) = try Self.writeDrop(units: 4_000, seed: 13)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let drop = try CSVDataFile.read(path: path, manifest: DataManifest())
        var data = drop.data
        // A guardrail that moves with the first covariate differently per arm: the weight changes arms.
        data.guardrails = [
            Guardrail(
                column: "unsubscribed",
                values: (0..<data.units).map { i in
                    Double(data.arm[i]) * Double(data.features[i, 1].isNaN ? 0 : data.features[i, 1])
                },
                largerIsBetter: false,
                maxLoss: .absolute(0.01)
            )
        ]
        var settings = AnalysisSettings()
        settings.bootstrap = 20
        typealias Stage = PostExperimentAnalysis
        let split = Stage.split(data, settings: settings)
        let primary = try TLearnerFit.fit(split: split, model: RidgeOutcomeModel(), name: "ridge")
        let guardrails = try Stage.fitGuardrails(data: data, split: split, settings: settings)
        let weight = 0.8
        let policy = TLearnerPolicy(
            name: "ridge-guarded",
            models: primary.models,
            terms: [.init(column: "unsubscribed", weight: weight, models: guardrails.fits[0].models)]
        )
        var combined = primary.predictions
        for a in combined.indices {
            for k in combined[a].indices { combined[a][k] += weight * guardrails.fits[0].predictions[a][k] }
        }
        let expected = TLearnerPolicy.argmax(combined, count: split.holdout.count)
        #expect(expected != primary.assignment, "the weight changes some arms, so the terms are exercised")
        let file = try PolicyFile.make(
            policy: policy,
            verdict: try Self.verdict(drop, settings: settings),
            arms: data.armNames,
            covariates: drop.covariateEncoding,
            dataHash: nil
        )
        #expect(file.version == 2 && file.guardrailTerms?.first?.weight == weight)
        let assigned = try Self.assign(file, data: path, directory: directory)
        let differ = split.holdout.enumerated().filter { assigned["u\($1)"] != data.armNames[expected[$0]] }.count
        #expect(differ == 0, "\(differ) holdout units get another arm")
    }

    @Test("A category the policy never saw gets the fallback arm and is counted")
    func unseenCategory() throws {
        let (path, directory) = try Self.writeDrop(units: 1_500, seed: 3)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let drop = try CSVDataFile.read(path: path, manifest: DataManifest())
        let tree = PolicyTree(
            name: "policy-tree",
            root: .split(
                feature: drop.covariateNames.firstIndex(of: "channel=web") ?? 0,
                threshold: 0,
                missingGoesLeft: true,
                left: .leaf(arm: 0),
                right: .leaf(arm: 1)
            )
        )
        let verdict = try Self.verdict(drop)
        let file = try PolicyFile.make(
            policy: tree,
            verdict: verdict,
            arms: drop.data.armNames,
            covariates: drop.covariateEncoding,
            dataHash: nil
        )
        let units = directory + "/new.csv"
        try "channel,x0,x1,x2,x3,x4,x5\nweb,1,1,1,1,1,1\nkiosk,1,1,1,1,1,1\napp,,,,,,\n".write(
            toFile: units,
            atomically: true,
            encoding: .utf8
        )
        let policyPath = directory + "/p.json"
        try file.json().write(toFile: policyPath, atomically: true, encoding: .utf8)
        var arms: [String] = []
        let summary = try PolicyAssignment.run(policy: file, policyPath: policyPath, dataPath: units) {
            arms.append($1)
        }
        #expect(arms == [drop.data.armNames[1], file.fallbackArm, drop.data.armNames[0]])
        #expect(summary.fallback == 1 && summary.unseenCategories == ["channel": 1])

        // A hand-edited file that lists a category twice is read, not a trap.
        var edited = file
        if let slot = edited.covariates.firstIndex(where: { $0.column == "channel" }) {
            edited.covariates[slot].categories = (edited.covariates[slot].categories ?? []) + ["web"]
        }
        var count = 0
        _ = try PolicyAssignment.run(policy: edited, policyPath: policyPath, dataPath: units) { _, _ in count += 1 }
        #expect(count == 3, "every unit assigned")
    }

    @Test(
        "Bad policy files and data are errors naming the file, the field and the fix",
        arguments: [
            ("{\"format\": \"experiment-advisor-pol", nil as String?, "not JSON"),
            ("{\"format\": \"something-else\", \"version\": 1}", "format", "not 'experiment-advisor-policy'"),
            ("{\"format\": \"experiment-advisor-policy\", \"version\": 99}", "version", "version 99"),
            ("{\"format\": \"experiment-advisor-policy\", \"version\": 1}", nil, "not a complete policy file"),
        ]
    )
    func badFiles(text: String, field: String?, problem: String) throws {
        let path = "/tmp/advisor-bad-policy-\(UUID().uuidString).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try PolicyFile.load(path: path)
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.file == path && error.field == field && error.problem.contains(problem) && !error.fix.isEmpty
        }
    }

    @Test("The data hash is FNV-1a over the file's bytes (the reference values for \"\" and \"a\")")
    func dataHash() throws {
        let path = "/tmp/advisor-hash-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(PolicyFile.dataHash(path: path) == "cbf29ce484222325")
        try "a".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(PolicyFile.dataHash(path: path) == "af63dc4c8601ec8c")
        #expect(PolicyFile.dataHash(path: path + ".missing") == nil)
    }

    @Test("Data without a column the policy reads is an error naming the column")
    func missingColumn() throws {
        let (path, directory) = try Self.writeDrop(units: 1_500, seed: 4)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let drop = try CSVDataFile.read(path: path, manifest: DataManifest())
        let verdict = try Self.verdict(drop)
        let file = try PolicyFile.make(
            policy: PolicyTree(
                name: "policy-tree",
                root: .split(
                    feature: 0,
                    threshold: 0,
                    missingGoesLeft: false,
                    left: .leaf(arm: 0),
                    right: .leaf(arm: 1)
                )
            ),
            verdict: verdict,
            arms: drop.data.armNames,
            covariates: drop.covariateEncoding,
            dataHash: nil
        )
        let units = directory + "/new.csv"
        try "x0,x1\n1,2\n".write(toFile: units, atomically: true, encoding: .utf8)
        #expect {
            _ = try PolicyAssignment.run(policy: file, policyPath: "p.json", dataPath: units) { _, _ in }
        } throws: { error in
            (error as? InputError)?.field == "column 'x2'"
        }
    }

    @Test(
        "A uniform policy reads no covariate: its file lists none, and units with none (or junk in them) are assigned"
    )
    func uniformReadsNothing() throws {
        let (path, directory) = try Self.writeDrop(units: 1_500, seed: 5)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let drop = try CSVDataFile.read(path: path, manifest: DataManifest())
        var file = try PolicyFile.make(
            policy: UniformPolicy(name: "uniform", arm: 1),
            verdict: try Self.verdict(drop),
            arms: drop.data.armNames,
            covariates: drop.covariateEncoding,
            dataHash: nil
        )
        #expect(file.covariates.isEmpty)
        let units = directory + "/new.csv"
        try "unit_id,x0\na,None\nb,not a number\n".write(toFile: units, atomically: true, encoding: .utf8)
        var arms: [String: String] = [:]
        _ = try PolicyAssignment.run(policy: file, policyPath: "p.json", dataPath: units) { arms[$0] = $1 }
        #expect(arms == ["a": drop.data.armNames[1], "b": drop.data.armNames[1]])
        // A file written before, with the drop's covariates listed, reads none of them either.
        file.covariates = drop.covariateEncoding
        arms = [:]
        _ = try PolicyAssignment.run(policy: file, policyPath: "p.json", dataPath: units) { arms[$0] = $1 }
        #expect(arms.count == 2)
    }

    @Test("assign reads as missing every token analyze reads as missing, whatever the policy file lists")
    func missingTokens() throws {
        let (path, directory) = try Self.writeDrop(units: 1_500, seed: 6)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let drop = try CSVDataFile.read(path: path, manifest: DataManifest())
        var file = try PolicyFile.make(
            policy: PolicyTree(
                name: "policy-tree",
                root: .split(feature: 0, threshold: 0, missingGoesLeft: true, left: .leaf(arm: 0), right: .leaf(arm: 1))
            ),
            verdict: try Self.verdict(drop),
            arms: drop.data.armNames,
            covariates: drop.covariateEncoding,
            dataHash: nil
        )
        #expect(file.missingValues == DataManifest.builtInMissingValues)
        // A file from before the list was shared (without None and #N/A) still reads them as missing.
        file.missingValues = ["", "NA", "NaN", "nan", "null", "N/A"]
        let tokens = DataManifest.builtInMissingValues + ["-999"]
        var text = "unit_id,x0,x1,x2,x3,x4,x5,channel\n"
        for (i, token) in tokens.enumerated() { text += "u\(i),\(token),1,1,1,1,1,web\n" }
        let units = directory + "/tokens.csv"
        try text.write(toFile: units, atomically: true, encoding: .utf8)
        let manifestPath = directory + "/drop.manifest.yaml"
        try "missing_values: [\"-999\"]\n".write(toFile: manifestPath, atomically: true, encoding: .utf8)
        var arms: [String: String] = [:]
        _ = try PolicyAssignment.run(
            policy: file,
            policyPath: "p.json",
            dataPath: units,
            manifest: try ManifestFile.load(path: manifestPath)
        ) { arms[$0] = $1 }
        #expect(arms.count == tokens.count)
        #expect(arms.values.allSatisfy { $0 == drop.data.armNames[0] }, "every token is missing, so goes left: \(arms)")
        // analyze reads the same cells as missing, from the same list.
        let again = try CSVDataFile.read(
            path: try Self.dropWith(tokens: DataManifest.builtInMissingValues, directory: directory),
            manifest: DataManifest()
        )
        #expect(again.covariateNames.first == "x0", "x0 stays numeric: every token is missing, not a category")
        #expect((0..<DataManifest.builtInMissingValues.count).allSatisfy { again.data.features[$0, 0].isNaN })
    }

    /// A drop whose x0 holds each of `tokens` in turn (and numbers after), 2 arms.
    static func dropWith(tokens: [String], directory: String) throws -> String {
        var text = "arm,outcome,x0\n"
        for (i, token) in tokens.enumerated() { text += "\(["a", "b"][i % 2]),\(i % 3),\(token)\n" }
        for i in 0..<120 { text += "\(["a", "b"][i % 2]),\(i % 5),\(i)\n" }
        let path = directory + "/tokens-drop.csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("The shared missing tokens fit the CSV reader's fast check (at most 4 bytes, starting N, n or #)")
    func tokensFitFastCheck() {
        for token in DataManifest.builtInMissingValues where !token.isEmpty {
            #expect(token.utf8.count <= 4 && ["N", "n", "#"].contains(token.first), "\(token)")
        }
    }

    @Test("The id column the manifest or the policy file names is required; its ids are written, never row numbers")
    func idColumn() throws {
        let (path, directory) = try Self.writeDrop(units: 1_500, seed: 7)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The team's ids are in 'customer', mapped by the manifest the drop was analyzed with.
        let renamed = directory + "/renamed.csv"
        try (try String(contentsOfFile: path, encoding: .utf8)).replacingOccurrences(of: "unit_id,", with: "customer,")
            .write(toFile: renamed, atomically: true, encoding: .utf8)
        let manifestPath = directory + "/renamed.manifest.yaml"
        try "columns: {unit_id: customer}\n".write(toFile: manifestPath, atomically: true, encoding: .utf8)
        var configuration = AdvisorConfiguration()
        configuration.analysis.bootstrap = 20
        configuration.analysis.estimateBootstrap = 5
        configuration.prediction.leverDraws = 50
        configuration.boosting.maxRounds = 20
        let result = try DataDropAnalysis.run(path: renamed, manifestPath: manifestPath, configuration: configuration)
        let file = try #require(result.policy)
        #expect(file.unitIdColumn == "customer")
        let policyPath = directory + "/p.json"
        try file.json().write(toFile: policyPath, atomically: true, encoding: .utf8)
        let loaded = try PolicyFile.load(path: policyPath)
        #expect(loaded.unitIdColumn == "customer", "recorded as unit_id_column")

        // Units with the column: the ids are the team's.
        var ids: [String] = []
        _ = try PolicyAssignment.run(policy: loaded, policyPath: policyPath, dataPath: renamed) { id, _ in
            ids.append(id)
        }
        #expect(ids.prefix(2) == ["u0", "u1"])

        // Units without it: an error naming the column and the fix, not row numbers.
        let noIDs = directory + "/no-ids.csv"
        let lines = try String(contentsOfFile: renamed, encoding: .utf8).split(separator: "\n")
        try lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).dropFirst().joined(separator: ",") }
            .joined(separator: "\n").write(toFile: noIDs, atomically: true, encoding: .utf8)
        #expect {
            _ = try PolicyAssignment.run(policy: loaded, policyPath: policyPath, dataPath: noIDs) { _, _ in }
        } throws: { error in
            guard let error = error as? InputError else { return false }
            let ok =
                error.field == "column 'customer'" && error.problem.contains("unit_id_column")
                && error.problem.contains("wrong unit") && error.fix.contains("add the 'customer' column")
            if !ok { Issue.record("\(error)") }
            return ok
        }
        // --manifest names another column for these units: its name wins, and is required too.
        let other = directory + "/other.manifest.yaml"
        try "columns: {unit_id: account}\n".write(toFile: other, atomically: true, encoding: .utf8)
        #expect {
            _ = try PolicyAssignment.run(
                policy: loaded,
                policyPath: policyPath,
                dataPath: renamed,
                manifest: try ManifestFile.load(path: other)
            ) { _, _ in }
        } throws: { error in
            (error as? InputError).map { $0.field == "column 'account'" && $0.problem.contains(other) } == true
        }
        // A unit without an id cannot be joined either.
        let blank = directory + "/blank.csv"
        try
            (lines[0...1] + [
                ","
                    + lines[2].split(separator: ",", omittingEmptySubsequences: false).dropFirst().joined(
                        separator: ","
                    )
            ])
            .joined(separator: "\n").write(toFile: blank, atomically: true, encoding: .utf8)
        #expect {
            _ = try PolicyAssignment.run(policy: loaded, policyPath: policyPath, dataPath: blank) { _, _ in }
        } throws: { error in
            (error as? InputError).map { $0.field == "column 'customer'" && $0.line == 3 } == true
        }
        // Without a recorded or mapped id column and no unit_id, row numbers remain the ids.
        var unnamed = loaded
        unnamed.unitIdColumn = nil
        ids = []
        _ = try PolicyAssignment.run(policy: unnamed, policyPath: policyPath, dataPath: noIDs) { id, _ in ids.append(id)
        }
        #expect(ids.prefix(2) == ["1", "2"])
    }

    /// A T-learner policy file with XGBoost (or ridge) models for a small drop, the drop's path,
    /// and its directory (removed by the caller).
    static func tLearnerFile(xgboost: Bool) throws -> (file: PolicyFile, data: String, directory: String) {
        let (path, directory) = try Self.writeDrop(units: 1_500, seed: 21)
        let drop = try CSVDataFile.read(path: path, manifest: DataManifest())
        var settings = AnalysisSettings()
        settings.bootstrap = 20
        typealias Stage = PostExperimentAnalysis
        let split = Stage.split(drop.data, settings: settings)
        var boosting = BoostingParameters()
        boosting.maxRounds = 5
        let model: any OutcomeModel = xgboost ? BoostedTreesOutcomeModel(parameters: boosting) : RidgeOutcomeModel()
        let fits = try Stage.fitOutcomeModels(split: split, models: [("t-learner", model)])
        let candidate = try #require(Stage.policies(data: drop.data, fits: fits).first)
        let file = try PolicyFile.make(
            policy: candidate.policy,
            verdict: try Self.verdict(drop, settings: settings),
            arms: drop.data.armNames,
            covariates: drop.covariateEncoding,
            dataHash: nil
        )
        return (file, path, directory)
    }

    /// `file` written, loaded and run through `assign`: the error, or nil when it was accepted.
    static func assignError(_ file: PolicyFile, data: String, directory: String) throws -> InputError? {
        let policyPath = directory + "/hostile.json"
        try file.json().write(toFile: policyPath, atomically: true, encoding: .utf8)
        do {
            let loaded = try PolicyFile.load(path: policyPath)
            _ = try PolicyAssignment.run(policy: loaded, policyPath: policyPath, dataPath: data) { _, _ in }
            return nil
        } catch {
            return error
        }
    }

    enum ModelEdit: String, CaseIterable, Sendable {
        case childOutOfRange, cycle, featureOutOfRange, hugeTreeCount, nanLeaf, deepNesting, roundsPastTrees
    }

    @Test(
        "A forged XGBoost model is refused before XGBoost reads it, naming the field (issue 31: SIGSEGV, hang, 7.6 GiB)",
        arguments: ModelEdit.allCases
    )
    func forgedModel(edit: ModelEdit) throws {
        var (file, data, directory) = try Self.tLearnerFile(xgboost: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var models = try #require(file.models)
        let json = try #require(models[0].xgboostModel)
        var root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        var learner = try #require(root["learner"] as? [String: Any])
        var booster = try #require(learner["gradient_booster"] as? [String: Any])
        var model = try #require(booster["model"] as? [String: Any])
        var trees = try #require(model["trees"] as? [[String: Any]])
        var tree = trees[0]
        var left = try #require(tree["left_children"] as? [Int])
        var text: String?
        switch edit {
        case .childOutOfRange:
            left[0] = 99_999
        case .cycle:
            // Node 0's left child points back at the root's other child: reached twice.
            let right = try #require(tree["right_children"] as? [Int])
            left[0] = right[0]
        case .featureOutOfRange:
            var splits = try #require(tree["split_indices"] as? [Int])
            splits[0] = 1_000_000
            tree["split_indices"] = splits
        case .hugeTreeCount:
            var parameters = try #require(model["gbtree_model_param"] as? [String: Any])
            parameters["num_trees"] = "2000000000"
            model["gbtree_model_param"] = parameters
        case .nanLeaf, .deepNesting, .roundsPastTrees:
            break
        }
        tree["left_children"] = left
        trees[0] = tree
        model["trees"] = trees
        booster["model"] = model
        learner["gradient_booster"] = booster
        root["learner"] = learner
        text = String(decoding: try JSONSerialization.data(withJSONObject: root), as: UTF8.self)
        if edit == .nanLeaf {
            text = text?.replacingOccurrences(of: "\"split_conditions\":[", with: "\"split_conditions\":[NaN,")
        }
        if edit == .deepNesting {
            text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        }
        if edit == .roundsPastTrees { models[0].rounds = 1_000_000 }
        models[0].xgboostModel = text
        file.models = models
        let start = Date()
        let error = try #require(try Self.assignError(file, data: data, directory: directory), "accepted")
        #expect(error.field == "models[0].xgboost_model", "\(error)")
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test("Ridge coefficients of ±1e308 are refused naming the field, never a silent first arm")
    func hugeCoefficients() throws {
        var (file, data, directory) = try Self.tLearnerFile(xgboost: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var models = try #require(file.models)
        var coefficients = try #require(models[1].coefficients)
        coefficients[0] = 1e308
        coefficients[1] = -1e308
        models[1].coefficients = coefficients
        file.models = models
        let error = try #require(try Self.assignError(file, data: data, directory: directory), "accepted")
        #expect(error.field == "models[1].coefficients", "\(error)")
    }

    @Test("A unit whose value overflows the models' Float is an error naming the column, not an infinite score")
    func hugeUnitValue() throws {
        let (file, _, directory) = try Self.tLearnerFile(xgboost: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let units = directory + "/huge.csv"
        try "unit_id,channel,x0,x1,x2,x3,x4,x5\na,web,1e300,1,1,1,1,1\n".write(
            toFile: units,
            atomically: true,
            encoding: .utf8
        )
        let error = try #require(try Self.assignError(file, data: units, directory: directory), "accepted")
        #expect(error.field == "column 'x0'" && error.line == 2, "\(error)")
    }

    @Test("A tree policy nested 10^5 deep, or with a key given twice, is refused before it is decoded")
    func deepOrDuplicated() throws {
        let directory = try #require(
            {
                var template = Array("/tmp/advisor-policy-XXXXXX".utf8CString)
                return template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!).map { String(cString: $0) } }
            }()
        )
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/deep.json"
        let depth = 100_000
        let text =
            "{\"format\": \"experiment-advisor-policy\", \"version\": 1, \"tree\": "
            + String(repeating: "{\"children\": [", count: depth) + String(repeating: "]}", count: depth) + "}"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            _ = try PolicyFile.load(path: path)
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.field?.hasPrefix("tree.children[0]") == true && error.problem.contains("deep")
        }
        try "{\"format\": \"experiment-advisor-policy\", \"version\": 1, \"version\": 2}".write(
            toFile: path,
            atomically: true,
            encoding: .utf8
        )
        #expect {
            _ = try PolicyFile.load(path: path)
        } throws: { error in
            (error as? InputError)?.field == "version"
        }
    }
}
