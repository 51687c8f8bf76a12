import Dispatch
import Synchronization

/// Runs CPU-heavy work (a prediction, later a model fit) on its own thread instead of the
/// cooperative pool, and lets the awaiting task walk away from it.
///
/// Swift cannot stop a running synchronous computation. On cancellation (graceful shutdown,
/// a time limit) `run` throws `CancellationError` at once and the computation's result is
/// discarded when it ends, so the daemon can stop without writing anything from it.
enum BackgroundWork {
    /// Concurrent, so a computation that was walked away from (a time limit) and still runs
    /// does not hold up the next one.
    private static let queue = DispatchQueue(label: "experiment-advisor.work", qos: .utility, attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let handoff = Handoff<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard handoff.install(continuation) else { return }
                queue.async { handoff.finish(Result { try work() }) }
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
