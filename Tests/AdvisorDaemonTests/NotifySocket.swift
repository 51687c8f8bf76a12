import Foundation
import Glibc
import Testing

/// A real AF_UNIX datagram socket, given to the daemon as NOTIFY_SOCKET, that records every
/// notify message in order: the same thing systemd listens on.
final class NotifySocket {
    let path: String
    private let descriptor: Int32
    private(set) var messages: [String] = []

    init(directory: String) throws {
        path = directory + "/notify.sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(descriptor >= 0, "socket: \(String(cString: strerror(errno)))")
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        try #require(bytes.count < MemoryLayout.size(ofValue: address.sun_path), "socket path too long: \(path)")
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0, "bind \(path): \(String(cString: strerror(errno)))")
    }

    deinit { close(descriptor) }

    /// Receives new messages until one satisfies `condition` or `seconds` pass; returns it.
    @discardableResult
    func waitFor(_ seconds: Double, _ condition: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { continue }
            let message = String(decoding: buffer[0..<count], as: UTF8.self)
            messages.append(message)
            if condition(message) { return message }
        }
        return nil
    }

    /// The first message at or after `start` that contains `assignment` (e.g. "READY=1").
    func index(of assignment: String, from start: Int = 0) -> Int? {
        messages.indices.first { $0 >= start && messages[$0].split(separator: "\n").contains(Substring(assignment)) }
    }
}

/// A running `experiment-advisor` process with its stderr in a file.
final class AdvisorProcess {
    let process = Process()
    let stderrPath: String

    init(arguments: [String], environment: [String: String] = [:], directory: String) throws {
        process.executableURL = URL(fileURLWithPath: try advisorBinary())
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "INVOCATION_ID", "JOURNAL_STREAM"] {
            env[key] = nil
        }
        env.merge(environment) { $1 }
        process.environment = env
        stderrPath = directory + "/stderr.log"
        guard FileManager.default.createFile(atPath: stderrPath, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: stderrPath])
        }
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits up to `seconds` for exit; returns the exit status, or nil (and kills it) on timeout.
    func waitForExit(_ seconds: Double) -> Int32? {
        let exited = waitFor(seconds) { !process.isRunning }
        guard exited else {
            signal(SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            signal(SIGKILL)
            process.waitUntilExit()
        }
    }
}
