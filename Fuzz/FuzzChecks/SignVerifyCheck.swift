import HTTPTypes
import MAuth

/// Signing then authenticating any request succeeds; a changed byte in a signed field fails.
package enum SignVerifyCheck {
    private static let appUUID = "5ff4257e-9c16-11e0-b048-0026bbfffe5e"
    private static let time: Int64 = 1_700_000_000
    private static let key = try! MAuthPrivateKey.generate()
    private static let clock = MAuthClock { time }
    private static let signer = try! MAuthSigner(appUUID: appUUID, privateKey: key, versions: [.v1, .v2], clock: clock)
    private static let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get"]

    package static func run(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let selector = input.byte()
        let method = methods[Int(selector) % methods.count]
        let target = MAuthRequestTarget(input.text())
        let body = input.remainder()
        let version: MAuthProtocolVersion = selector & 0x80 == 0 ? .v2 : .v1
        let authenticator = MAuthAuthenticator(
            keyProvider: InMemoryPublicKeyProvider([appUUID: key.publicKey]),
            options: .init(v2Only: version == .v2, clock: clock))
        guard let headers = try? HTTPFields(signer.headers(method: method, target: target, body: body)) else {
            fatalError("signing failed for \(method) \(target.description)")
        }
        let accepted = blocking {
            (try? await authenticator.authenticate(method: method, target: target, headers: headers, body: body)) != nil
        }
        check(accepted, "a signed request authenticates", bytes)

        guard !body.isEmpty else { return }
        var changed = body
        let position = Int(selector) % changed.count
        changed[position] ^= 0x01
        let tampered = changed
        let refused = blocking {
            do {
                _ = try await authenticator.authenticate(
                    method: method, target: target, headers: headers, body: tampered)
                return false
            } catch let error as MAuthError {
                return error.code == .inauthentic
            } catch {
                return false
            }
        }
        check(refused, "a changed body byte is inauthentic", bytes)
    }
}
