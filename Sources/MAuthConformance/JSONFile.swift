import Foundation

/// Reads the suite's JSON files.
enum JSONFile {
    static func object(at url: URL) throws(ConformanceSuiteError) -> [String: Any] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ConformanceSuiteError("cannot read \(url.path)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConformanceSuiteError("\(url.path) is not a JSON object")
        }
        return object
    }
}
