package import Foundation

/// Saved fuzz inputs: the seeds and the inputs that once broke a check.
package enum FuzzCorpus {
    /// The committed inputs of `target`.
    package static func directory(of target: FuzzTarget) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Corpus").appendingPathComponent(target.rawValue)
    }

    /// The files named, and the files in the directories named, in a stable order.
    package static func files(in paths: [String]) throws -> [URL] {
        var files: [URL] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
            }
            guard isDirectory.boolValue else {
                files.append(URL(fileURLWithPath: path))
                continue
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            files += names.map { URL(fileURLWithPath: path).appendingPathComponent($0) }
        }
        return files
    }
}
