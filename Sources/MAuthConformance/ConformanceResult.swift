/// The outcome of one case.
public struct ConformanceResult: Sendable {
    /// The case that ran.
    public let testCase: ConformanceCase
    /// The checks that ran, by name: `string-to-sign`, `signature`, `headers`, `authenticate`.
    public let checks: [String]
    /// One line for each check that failed, starting with the check's name.
    public let failures: [String]

    /// Whether every check passed.
    public var passed: Bool { failures.isEmpty }
}
