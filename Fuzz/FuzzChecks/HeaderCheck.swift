import HTTPTypes
import MAuth

/// The authentication and time headers: any value parses or is refused with a reason, a parsed
/// value formats back to itself, and no made-up signature authenticates.
package enum HeaderCheck {
    private static let appUUID = "5ff4257e-9c16-11e0-b048-0026bbfffe5e"
    private static let key = try! MAuthPrivateKey.generate()
    private static let authenticator = MAuthAuthenticator(
        keyProvider: InMemoryPublicKeyProvider([appUUID: key.publicKey]),
        options: .init(clock: MAuthClock { 1_700_000_000 }))

    package static func run(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let version: MAuthProtocolVersion = input.byte() & 1 == 0 ? .v1 : .v2
        let value = input.text()
        let time = input.text()
        if let parsed = try? AuthenticationHeaderValue.parse(value, version: version) {
            let formatted = version.authenticationHeaderValue(
                appUUID: parsed.appUUID, signature: String(decoding: parsed.signature, as: UTF8.self))
            let again = try? AuthenticationHeaderValue.parse(formatted, version: version)
            check(
                again?.appUUID == parsed.appUUID && again?.signature == parsed.signature,
                "a parsed header formats back to itself", bytes)
        }
        var headers = HTTPFields()
        if let name = HTTPField.Name(version.authenticationHeader.rawName), HTTPField.isValidValue(value) {
            headers[name] = value
        }
        if HTTPField.isValidValue(time) { headers[version.timeHeader] = time }
        let body = input.remainder()
        let sent = headers
        let outcome = blocking { () -> MAuthError.Code? in
            do {
                _ = try await authenticator.authenticate(
                    method: "GET", target: MAuthRequestTarget("/"), headers: sent, body: body)
                return nil
            } catch let error as MAuthError {
                return error.code
            } catch {
                return nil
            }
        }
        check(outcome == .inauthentic, "a made-up header is inauthentic", bytes)
    }
}
