public import Foundation
import MAuth

/// A copy of the MAuth protocol test suite on disk (PROTOCOL.md §10), ready to run.
///
/// The layout is the suite's own: `signing-config.json`, the key it names, and one folder per
/// case under `protocols/MWS` (V1) and `protocols/MWSV2` (V2). Any copy of the suite works,
/// including cases this library has never seen.
public struct ConformanceSuite: Sendable {
    /// The suite's root directory.
    public let directory: URL
    /// The app UUID every case is signed with.
    public let appUUID: String
    /// The frozen signing time.
    public let requestTime: Int64
    /// The cases, ordered by protocol folder and name.
    public let cases: [ConformanceCase]
    let privateKey: MAuthPrivateKey
    let publicKey: MAuthPublicKey

    /// Loads the suite configuration, its keys and the list of cases.
    ///
    /// - Throws: ``ConformanceSuiteError`` when the configuration or a key cannot be read.
    public init(directory path: String) throws(ConformanceSuiteError) {
        let directory = URL(fileURLWithPath: path, isDirectory: true)
        let configURL = directory.appendingPathComponent("signing-config.json")
        let config = try JSONFile.object(at: configURL)
        guard let appUUID = config["app_uuid"] as? String else {
            throw ConformanceSuiteError("\(configURL.path): 'app_uuid' is missing or not a string")
        }
        guard let requestTime = (config["request_time"] as? NSNumber)?.int64Value else {
            throw ConformanceSuiteError("\(configURL.path): 'request_time' is missing or not a number")
        }
        guard let keyPath = config["private_key_file"] as? String else {
            throw ConformanceSuiteError("\(configURL.path): 'private_key_file' is missing or not a string")
        }
        let keyURL = directory.appendingPathComponent(keyPath).standardizedFileURL
        do {
            privateKey = try MAuthPrivateKey(contentsOfFile: keyURL.path)
            let publicKeyPath = keyURL.path + "-pub"
            publicKey =
                FileManager.default.fileExists(atPath: publicKeyPath)
                ? try MAuthPublicKey(contentsOfFile: publicKeyPath) : privateKey.publicKey
        } catch {
            throw ConformanceSuiteError("suite key: \(error.message)")
        }
        self.directory = directory
        self.appUUID = appUUID
        self.requestTime = requestTime
        self.cases = try Self.discoverCases(in: directory.appendingPathComponent("protocols"))
    }

    /// Runs every check of every case.
    public func run() async -> [ConformanceResult] {
        var results: [ConformanceResult] = []
        for testCase in cases {
            results.append(await run(testCase))
        }
        return results
    }

    /// Runs every check of one case.
    public func run(_ testCase: ConformanceCase) async -> ConformanceResult {
        await ConformanceRunner(suite: self, testCase: testCase).run()
    }

    private static func discoverCases(in protocols: URL) throws(ConformanceSuiteError) -> [ConformanceCase] {
        let folders: [String]
        do {
            folders = try FileManager.default.contentsOfDirectory(atPath: protocols.path).sorted()
        } catch {
            throw ConformanceSuiteError("cannot list \(protocols.path): the suite has no 'protocols' folder")
        }
        var cases: [ConformanceCase] = []
        for folder in folders {
            let version: MAuthProtocolVersion
            switch folder {
            case "MWS": version = .v1
            case "MWSV2": version = .v2
            default: continue
            }
            let folderURL = protocols.appendingPathComponent(folder, isDirectory: true)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folderURL.path)) ?? []
            for name in names.sorted() {
                var isDirectory: ObjCBool = false
                let caseURL = folderURL.appendingPathComponent(name, isDirectory: true)
                guard FileManager.default.fileExists(atPath: caseURL.path, isDirectory: &isDirectory),
                    isDirectory.boolValue
                else { continue }
                cases.append(ConformanceCase(protocolFolder: folder, name: name, version: version, directory: caseURL))
            }
        }
        guard !cases.isEmpty else {
            throw ConformanceSuiteError("\(protocols.path) holds no cases under MWS or MWSV2")
        }
        return cases
    }
}
