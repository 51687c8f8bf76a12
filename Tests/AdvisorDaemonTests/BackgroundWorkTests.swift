@testable import AdvisorDaemon
import AdvisorModel
import Foundation
import Synchronization
import Testing

@Suite("Background work")
struct BackgroundWorkTests {
    // How quickly the caller gets control back is timed in DaemonProcessTests (SIGTERM, time
    // limit): in this process other suites can hold both cooperative threads for seconds.
    @Test("Cancelling the caller throws CancellationError and tells the computation to stop")
    func cancellation() async throws {
        let sawStop = Atomic<Bool>(false)
        let task = Task {
            try await BackgroundWork.run { isCancelled in
                let deadline = Date().addingTimeInterval(20)
                while Date() < deadline {
                    if isCancelled() {
                        sawStop.store(true, ordering: .relaxed)
                        return 0
                    }
                    usleep(1000)
                }
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(waitFor(10) { sawStop.load(ordering: .relaxed) }, "the computation never learned it was cancelled")
    }

    @Test("A finished computation's value comes back unchanged")
    func value() async throws {
        #expect(try await BackgroundWork.run { _ in 6 * 7 } == 42)
        await #expect(throws: ModelError.self) {
            try await BackgroundWork.run { _ throws(ModelError) -> Int in throw ModelError.inconsistent("x") }
        }
    }

    @Test("The predictor stops with ModelError.stopped when asked")
    func predictorStops() throws {
        let proposal = try ProposalFileFixture.example()
        #expect(throws: ModelError.stopped) { try Predictor().predict(proposal, shouldStop: { true }) }
    }
}
