import Foundation
import HTTPPipeline
import HTTPTypes
import MAuth
import MAuthDevelopmentService
import NIOCore

/// The MAuth service's documents, read by the client and by the development service: any body
/// is read or refused with a 4xx, and what is read writes back to the same document.
package enum ServiceDocumentCheck {
    private static let keysDirectory: String = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mauth-fuzz-keys-\(getpid())")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = try! MAuthPrivateKey.generate()
        try! key.publicKey.pem.write(
            to: directory.appendingPathComponent("5ff4257e-9c16-11e0-b048-0026bbfffe5e.pub"), atomically: true,
            encoding: .utf8)
        return directory.path
    }()
    private static let service = DevelopmentMAuthService(
        keysDirectory: keysDirectory, clock: MAuthClock { 1_700_000_000 })

    package static func run(_ bytes: [UInt8]) {
        let data = Data(bytes)
        if let ticket = try? JSONDecoder().decode(AuthenticationTicketDocument.self, from: data) {
            let again = try? JSONDecoder().decode(
                AuthenticationTicketDocument.self, from: try JSONEncoder().encode(ticket))
            check(again == ticket, "a ticket writes back to itself", bytes)
        }
        if let token = try? JSONDecoder().decode(SecurityTokenDocument.self, from: data) {
            let again = try? JSONDecoder().decode(SecurityTokenDocument.self, from: try JSONEncoder().encode(token))
            check(again == token, "a security token writes back to itself", bytes)
        }
        let status = blocking { () -> Int in
            let head = HTTPRequest(
                method: .post, scheme: "http", authority: "fuzz", path: "/mauth/v1/authentication_tickets.json")
            let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: bytes)))
            do {
                return try await service.handle(request, context: RequestContext()).head.status.code
            } catch let error as HTTPError {
                return error.status.code
            } catch {
                return 500
            }
        }
        check([204, 400, 404, 412, 413].contains(status), "a ticket is answered with 204 or a 4xx", bytes)
    }
}
