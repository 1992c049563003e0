import Foundation
import FuzzChecks

#if FUZZING
    /// The target libFuzzer runs, named by `MAUTH_FUZZ_TARGET` (scripts/fuzz sets it).
    let selectedTarget: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["MAUTH_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError(
                "MAUTH_FUZZ_TARGET must name one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return target
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        selectedTarget.run(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
#else
    /// Without libFuzzer: replays saved inputs through a target's checks.
    ///
    /// Usage: `MAuthFuzz TARGET FILE_OR_DIRECTORY...`
    @main
    enum MAuthFuzz {
        static func main() throws {
            let arguments = CommandLine.arguments.dropFirst()
            guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
                let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
                FileHandle.standardError.write(Data("usage: MAuthFuzz \(names) FILE_OR_DIRECTORY...\n".utf8))
                exit(2)
            }
            var count = 0
            for file in try FuzzCorpus.files(in: Array(arguments.dropFirst())) {
                target.run(Array(try Data(contentsOf: file)))
                count += 1
            }
            print("\(name): \(count) inputs passed")
        }
    }
#endif
