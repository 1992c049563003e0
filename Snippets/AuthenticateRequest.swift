// Authenticates a signed request, as a service does when it arrives.
// snippet.hide
import HTTPTypes
import MAuth

let callerKey = try MAuthPrivateKey.generate()
let signer = try MAuthSigner(appUUID: "5ff4257e-9c16-11e0-b048-0026bbfffe5e", privateKey: callerKey, versions: [.v2])
var request = HTTPRequest(method: .get, scheme: "https", authority: "api.example.com", path: "/v1/items")
let body: [UInt8] = []
try signer.sign(&request, body: body)
let keys = InMemoryPublicKeyProvider(["5ff4257e-9c16-11e0-b048-0026bbfffe5e": callerKey.publicKey])
// snippet.show
// keys: DirectoryPublicKeyProvider(directory: "keys") reads keys/<app_uuid>.pub
let authenticator = MAuthAuthenticator(keyProvider: keys)
do {
    let caller = try await authenticator.authenticate(request, body: body)  // request.path: the raw target
    print("authentic: \(caller.appUUID) signed with \(caller.version)")
} catch let error where error.code == .inauthentic {
    print("answer 401: \(error.message)")
} catch {
    print("answer 500: \(error.message)")  // the key could not be had: authenticity unknown
}
