import Foundation
import Testing

/// A spool on a full file system: a 512 KiB tmpfs mounted by the test in a mount namespace of its
/// own (`unshare --mount`, so the host's mount table never sees it), filled to the last block.
@Suite("A full disk")
struct DiskFullTests {
    @Test("No space left: no partial report, the input kept in incoming/, a clear error; answered once space returns")
    func noSpace() throws {
        let root = try makeTemporaryDirectory("advisor-enospc")
        defer { removeDirectory(root) }
        try exampleProposal(experiment: "disk-full").write(
            toFile: root + "/proposal.yaml",
            atomically: true,
            encoding: .utf8
        )
        let script = """
            set -u
            root=$1 binary=$2
            mkdir -p "$root/spool"
            mount -t tmpfs -o size=512k,nr_inodes=64 advisor-enospc "$root/spool" || exit 90
            mkdir -p "$root/spool/incoming" "$root/spool/reports" "$root/spool/archive" "$root/spool/rejected"
            cp "$root/proposal.yaml" "$root/spool/incoming/.full.yaml.part"
            mv "$root/spool/incoming/.full.yaml.part" "$root/spool/incoming/full.yaml"
            touch -d '-1 min' "$root/spool/incoming/full.yaml"
            dd if=/dev/zero of="$root/spool/filler" bs=4k 2>/dev/null
            # The last blocks and inodes too: small files fit where a 4 KiB block did not.
            i=0; while echo x > "$root/spool/filler-$i" 2>/dev/null; do i=$((i + 1)); done
            serve() {
                "$binary" serve --once --spool "$root/spool" --state-dir "$root/state" --log-target stderr \\
                    --config "$root/advisor.yaml"
            }
            serve > "$root/first.log" 2>&1; echo "first=$?"
            (cd "$root/spool" && find . -path ./filler -prune -o -path './filler-*' -prune -o -print | sort) > "$root/after-first.txt"
            rm -f "$root/spool/filler" "$root/spool/filler-"*
            serve > "$root/second.log" 2>&1; echo "second=$?"
            (cd "$root/spool" && find . | sort) > "$root/after-second.txt"
            """
        try "prediction:\n  prior_draws: 400\n  lever_draws: 100\n".write(
            toFile: root + "/advisor.yaml",
            atomically: true,
            encoding: .utf8
        )
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = [
            "--mount", "--propagation", "private", "bash", "-c", script, "enospc", root, try advisorBinary(),
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let status = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try #require(process.terminationStatus != 90, "could not mount a tmpfs (the tests run as root in CI)")
        let first = try String(contentsOfFile: root + "/first.log", encoding: .utf8)
        let afterFirst = try String(contentsOfFile: root + "/after-first.txt", encoding: .utf8)
        #expect(status.contains("first=0"), "\(status)\n\(first)")
        #expect(afterFirst.contains("./incoming/full.yaml"), "the input must stay in incoming/:\n\(afterFirst)")
        #expect(!afterFirst.contains("prediction.json") && !afterFirst.contains("prediction.txt"), "\(afterFirst)")
        #expect(!afterFirst.contains(".tmp"), "a temporary was left:\n\(afterFirst)")
        #expect(
            first.contains("No space left on device") && first.contains("free space on that filesystem")
                && first.contains("stays in incoming/"),
            "the journal error must say what and how to fix it:\n\(first)"
        )
        let afterSecond = try String(contentsOfFile: root + "/after-second.txt", encoding: .utf8)
        #expect(status.contains("second=0"))
        #expect(afterSecond.contains("-prediction.json") && afterSecond.contains("-prediction.txt"), "\(afterSecond)")
        #expect(afterSecond.contains("-full.yaml") && !afterSecond.contains("./incoming/full.yaml"))
        #expect(!afterSecond.contains("rejected/2"), "a good input was rejected for a full disk:\n\(afterSecond)")
    }
}
