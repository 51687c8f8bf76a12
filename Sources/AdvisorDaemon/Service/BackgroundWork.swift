import Dispatch
import Synchronization

/// Runs CPU-heavy work (a prediction, an analysis) on its own thread instead of the
/// cooperative pool, and lets the awaiting task walk away from it.
///
/// Swift cannot stop a running synchronous computation from outside. On cancellation (graceful
/// shutdown, a time limit) `run` throws `CancellationError` at once; the computation is told
/// through the `isCancelled` it receives (the predictor polls it) and its result is discarded,
/// so the daemon can stop without writing anything from it and without leaving a core busy.
enum BackgroundWork {
    /// Concurrent, so a computation that was walked away from (a time limit) and still runs
    /// does not hold up the next one.
    /// No QoS class: a lower one makes Dispatch call setpriority(2), which the unit's
    /// `SystemCallFilter=~@resources` refuses (it logged "Failed to set thread priority").
    private static let queue = DispatchQueue(label: "experiment-advisor.work", attributes: .concurrent)

    static func run<T: Sendable>(
        _ work: @escaping @Sendable (_ isCancelled: @escaping @Sendable () -> Bool) throws -> T
    ) async throws -> T {
        let handoff = Handoff<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard handoff.install(continuation) else { return }
                queue.async { handoff.finish(Result { try work { handoff.isFinished } }) }
            }
        } onCancel: {
            handoff.finish(.failure(CancellationError()))
        }
    }

    /// Resumes the continuation exactly once, whichever of completion and cancellation comes first.
    private final class Handoff<T: Sendable>: Sendable {
        private enum State {
            case idle
            case waiting(CheckedContinuation<T, any Error>)
            case cancelledEarly
            case done
        }
        private let state = Mutex<State>(.idle)

        /// True once the awaiting task has its answer (or gave up): the work may stop.
        var isFinished: Bool {
            state.withLock { state in
                switch state {
                case .idle, .waiting: false
                case .cancelledEarly, .done: true
                }
            }
        }

        /// False if cancellation came first; the continuation has then been resumed already.
        func install(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
            let cancelled = state.withLock { state -> Bool in
                if case .cancelledEarly = state { return true }
                state = .waiting(continuation)
                return false
            }
            if cancelled { continuation.resume(throwing: CancellationError()) }
            return !cancelled
        }

        func finish(_ result: Result<T, any Error>) {
            let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
                switch state {
                case .waiting(let c):
                    state = .done
                    return c
                case .idle:
                    state = .cancelledEarly
                    return nil
                case .cancelledEarly, .done:
                    return nil
                }
            }
            continuation?.resume(with: result)
        }
    }
}
