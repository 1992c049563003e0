package import AsyncHTTPClient
package import HTTPTypes
import NIOHTTP1

extension HTTPClientResponse {
    /// The status and header fields as swift-http-types' `HTTPResponse`, the form response
    /// authentication reads; `nil` for a status outside 0–999, which `HTTPResponse` cannot hold.
    /// A field whose name is not a valid token is left out.
    package var httpTypesHead: HTTPResponse? {
        let code = Int(status.code)
        guard (0...999).contains(code) else { return nil }
        var head = HTTPResponse(status: .init(code: code, reasonPhrase: status.reasonPhrase))
        for header in headers {
            if let name = HTTPField.Name(header.name) {
                head.headerFields.append(HTTPField(name: name, value: header.value))
            }
        }
        return head
    }
}
