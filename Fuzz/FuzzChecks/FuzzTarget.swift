/// The fuzz targets: each checks properties of one part of the package that parses outside input.
package enum FuzzTarget: String, CaseIterable, Sendable {
    case canonicalization
    case signVerify = "sign-verify"
    case headers
    case keys
    case configuration
    case serviceDocuments = "service-documents"
    case http1

    /// Runs the target's checks on one input; a broken property stops the process.
    package func run(_ input: [UInt8]) {
        switch self {
        case .canonicalization: CanonicalizationCheck.run(input)
        case .signVerify: SignVerifyCheck.run(input)
        case .headers: HeaderCheck.run(input)
        case .keys: KeyCheck.run(input)
        case .configuration: ConfigurationCheck.run(input)
        case .serviceDocuments: ServiceDocumentCheck.run(input)
        case .http1: HTTP1Check.run(input)
        }
    }
}
