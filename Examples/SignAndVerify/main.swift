// Signs a request as a client would and authenticates it as a service would, with the core API
// only: no network, no MAuth service. Run it with `swift run --package-path Examples SignAndVerify`.
import HTTPTypes
import MAuth

// The client app: an app UUID and the private key whose public half the MAuth service holds.
let clientAppUUID = "5ff4257e-9c16-11e0-b048-0026bbfffe5e"
let clientKey = try MAuthPrivateKey.generate()

// Sign a request with both protocol versions.
let signer = try MAuthSigner(appUUID: clientAppUUID, privateKey: clientKey, versions: [.v1, .v2])
let body = Array(#"{"name":"widget"}"#.utf8)
var request = HTTPRequest(method: .post, scheme: "https", authority: "api.example.com", path: "/v1/items?color=blue")
try signer.sign(&request, body: body)
for field in request.headerFields {
    let value = field.value.count > 60 ? field.value.prefix(60) + "…" : field.value
    print("\(field.name): \(value)")
}

// The service: it knows the client's public key and authenticates what arrives.
let keys = InMemoryPublicKeyProvider([clientAppUUID: clientKey.publicKey])
let authenticator = MAuthAuthenticator(keyProvider: keys)
let identity = try await authenticator.authenticate(request, body: body)
print("authentic: app \(identity.appUUID), protocol \(identity.version)")

// Any change to the signed request is caught.
do {
    _ = try await authenticator.authenticate(request, body: Array(#"{"name":"gadget"}"#.utf8))
} catch {
    print("tampered body rejected (\(error.code)): \(error.message)")
}
