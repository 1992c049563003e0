import HTTPPipeline
import HTTPTypes
import MAuth
import Testing

/// The pipeline routes with the path MAuth authenticates: one split of the target, not two.
@Suite("Request targets in the pipeline and in MAuth")
struct RequestTargetAgreementTests {
    @Test(
        "a request's path and query are those MAuth signs",
        arguments: [
            "/v1/items?z=1", "/", "/a?", "/a?b?c", "/a#b?c#d", "/a?id=1#&admin=true", "//x/%2F?y=%20", "/a?\u{301}b",
        ])
    func agreement(target: String) {
        let request = Request(head: HTTPRequest(method: .get, scheme: "http", authority: "h", path: target))
        let signed = MAuthRequestTarget(target)
        #expect(String(request.path) == signed.path)
        #expect(String(request.query) == signed.query)
    }
}
