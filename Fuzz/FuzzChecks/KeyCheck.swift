import MAuth

/// PEM and key decoding, including the repair of keys squeezed onto one line.
package enum KeyCheck {
    package static func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let key = try? MAuthPublicKey(pem: text) {
            let again = try? MAuthPublicKey(pem: key.pem)
            check(again?.pem == key.pem, "a public key reads back from its PEM", bytes)
        }
        if let key = try? MAuthPrivateKey(pem: text) {
            let again = try? MAuthPrivateKey(pem: key.pem)
            check(again?.publicKey.pem == key.publicKey.pem, "a private key reads back from its PEM", bytes)
        }
    }
}
