import Foundation
import HTTPTypes
import MAuth
import MAuthConformance
import MAuthTestSupport
import Testing

@Suite("MAuth protocol test suite")
struct ConformanceTests {
    static let suite = try! ConformanceSuite(directory: Fixtures.suiteDirectory.path)

    @Test("the fixtures hold every case of the shared suite")
    func caseCount() {
        let names = Self.suite.cases.map(\.description)
        #expect(names.count == 9)
        #expect(names.contains("MWS/binary-body"))
        #expect(names.contains("MWSV2/get-normalize-multiple-slashes"))
    }

    @Test("every check of the case passes", arguments: suite.cases)
    func conformance(_ testCase: ConformanceCase) async {
        let result = await Self.suite.run(testCase)
        #expect(result.failures == [])
        let expectedChecks =
            testCase.isAuthenticationOnly
            ? ["authenticate"]
            : testCase.description == "MWS/binary-body"
                ? ["signature", "headers", "authenticate"] : ["string-to-sign", "signature", "headers", "authenticate"]
        #expect(result.checks == expectedChecks)
    }
}
