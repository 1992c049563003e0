// Signs outgoing AsyncHTTPClient and URLSession requests, and calls through MAuthHTTPClient.
// snippet.hide
import AsyncHTTPClient
import Foundation
import MAuth
import MAuthClient
import NIOCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

let signer = try MAuthSigner(appUUID: "my-client", privateKey: MAuthPrivateKey.generate(), versions: [.v1, .v2])
let authenticator = MAuthAuthenticator(keyProvider: InMemoryPublicKeyProvider())
// snippet.show
// snippet.asynchttpclient
var request = HTTPClientRequest(url: "https://api.example.com/v1/items?page=2")
request.method = .POST
try signer.sign(&request, body: ByteBuffer(string: #"{"name":"widget"}"#))
// snippet.end
// snippet.urlsession
var urlRequest = URLRequest(url: URL(string: "https://api.example.com/v1/items")!)
urlRequest.httpMethod = "POST"
urlRequest.httpBody = Data(#"{"name":"widget"}"#.utf8)
try signer.sign(&urlRequest)
// snippet.end
// snippet.client
let client = MAuthHTTPClient(signer: signer, responseAuthenticator: authenticator)
// snippet.hide
if CommandLine.arguments.contains("--run") {
    // snippet.show
    let response = try await client.execute(HTTPClientRequest(url: "https://api.example.com/v1/items"))
    print(response.status, response.responder?.appUUID ?? "-")  // throws MAuthError when inauthentic
    // snippet.hide
}
// snippet.end
