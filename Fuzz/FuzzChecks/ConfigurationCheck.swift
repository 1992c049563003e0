import MAuth

/// Configuration from any environment: it is read, or refused with a MAuth error.
package enum ConfigurationCheck {
    private static let names = [
        "MAUTH_URL", "MAUTH_API_VERSION", "MAUTH_APP_UUID", "MAUTH_PRIVATE_KEY", "MAUTH_V2_ONLY_AUTHENTICATE",
        "MAUTH_SIGN_VERSIONS", "MAUTH_MODE", "MAUTH_DISABLE_FALLBACK_TO_V1_ON_V2_FAILURE", "APP_UUID",
        "PRIVATE_KEY", "V2_ONLY_AUTHENTICATE",
    ]

    package static func run(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        var environment: [String: String] = [:]
        for _ in 0..<6 {
            let selector = Int(input.byte())
            let value = input.text()
            let name = selector < 0xf0 ? names[selector % names.count] : value
            // A key file would make the check read whatever file the input names.
            guard name != "MAUTH_PRIVATE_KEY_FILE" else { continue }
            environment[name] = value
        }
        do {
            _ = try MAuthConfiguration(environment: environment)
        } catch {
            check(!error.message.isEmpty, "a refused configuration says why", bytes)
        }
    }
}
