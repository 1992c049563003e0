/// Paths that skip authentication, matched so that no encoding trick can reach another route
/// through them.
///
/// A request is exempt only when its raw path is already in normal form (no `//`, no `.` or `..`
/// segments, no lower-case escapes), contains no encoded `/`, `.` or `\`, and equals an exempt
/// path byte for byte. `/app_status` is exempt; `/app_status/../secret`, `//app_status/x`,
/// `/app_status%2F..%2Fsecret` and `/APP_STATUS` are not.
public struct ExemptPaths: Sendable, ExpressibleByArrayLiteral {
    /// The exempt paths, each starting with `/`.
    public let paths: Set<String>
    /// The same paths as UTF-8 bytes: `String` equality treats canonically equivalent texts
    /// (a Kelvin sign and a `K`) as equal, which a router comparing bytes would not.
    private let pathBytes: Set<[UInt8]>

    /// Creates a set of exempt paths.
    public init(_ paths: some Sequence<String>) {
        let paths = Array(paths)
        self.paths = Set(paths)
        self.pathBytes = Set(paths.map { Array($0.utf8) })
    }

    public init(arrayLiteral elements: String...) {
        self.init(elements)
    }

    /// Whether a request whose raw path is `rawPath` skips authentication.
    public func contains(rawPath: Substring) -> Bool {
        let bytes = Array(rawPath.utf8)
        guard pathBytes.contains(bytes) else { return false }
        guard bytes.first == UInt8(ascii: "/"), !bytes.contains(UInt8(ascii: "\\")) else { return false }
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                // Any escape could stand for '/', '.' or '\' once a later layer decodes it.
                guard index + 2 < bytes.count else { return false }
                let escaped = String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self).uppercased()
                if ["2F", "2E", "5C", "25"].contains(escaped) { return false }
                index += 3
            } else {
                index += 1
            }
        }
        let segments = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
        let isNormal = segments.enumerated().allSatisfy { offset, segment in
            let isLast = offset == segments.count - 1
            return (isLast || !segment.isEmpty) && segment != [UInt8(ascii: ".")]
                && segment != [UInt8(ascii: "."), UInt8(ascii: ".")]
        }
        return isNormal
    }
}
