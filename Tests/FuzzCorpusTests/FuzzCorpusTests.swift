import Foundation
import FuzzChecks
import Testing

/// Every committed fuzz input — the seeds, and each input that once broke a check — passes its
/// target's checks: a crash the fuzzer found stays fixed.
@Suite("Fuzz corpus")
struct FuzzCorpusTests {
    @Test("the saved inputs pass their target's checks", arguments: FuzzTarget.allCases)
    func corpus(target: FuzzTarget) async throws {
        let files = try FuzzCorpus.files(in: [FuzzCorpus.directory(of: target).path])
        #expect(!files.isEmpty, "no saved inputs for \(target.rawValue)")
        let inputs = try files.map { Array(try Data(contentsOf: $0)) }
        // The checks wait for async work as a fuzzer's synchronous callback must; they run on a
        // thread of their own, so that the wait never holds one of the concurrency pool's threads.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread {
                for input in inputs { target.run(input) }
                done.resume()
            }.start()
        }
    }
}
