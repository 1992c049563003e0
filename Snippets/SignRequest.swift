// Signs a request with V1 and V2, as a client does before sending it.
// snippet.hide
import HTTPTypes
import MAuth

let pem = try MAuthPrivateKey.generate().pem
// snippet.show
let key = try MAuthPrivateKey(pem: pem)  // or MAuthPrivateKey(contentsOfFile: "config/mauth_key")
let signer = try MAuthSigner(appUUID: "5ff4257e-9c16-11e0-b048-0026bbfffe5e", privateKey: key, versions: [.v1, .v2])

var request = HTTPRequest(method: .post, scheme: "https", authority: "api.example.com", path: "/v1/items?color=blue")
let body = Array(#"{"name":"widget"}"#.utf8)
try signer.sign(&request, body: body)
// request now carries MCC-Authentication, MCC-Time, X-MWS-Authentication and X-MWS-Time.
// snippet.hide
print(request.headerFields)
