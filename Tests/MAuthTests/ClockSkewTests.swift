import MAuthTestSupport
import Testing

@testable import MAuth

@Suite("Clock skew from a refusal's Date")
struct ClockSkewTests {
    @Test("IMF-fixdate is read; the obsolete forms and malformed dates are not")
    func httpDates() {
        #expect(MAuthClockSkew.seconds(ofHTTPDate: "Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(MAuthClockSkew.seconds(ofHTTPDate: "Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(MAuthClockSkew.seconds(ofHTTPDate: "Tue, 29 Feb 2000 12:00:00 GMT") == 951_825_600)
        #expect(MAuthClockSkew.seconds(ofHTTPDate: "Tue, 24 Mar 2020 20:48:45 GMT") == Fixtures.time)
        for malformed in [
            "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 8:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT", "",
        ] {
            #expect(MAuthClockSkew.seconds(ofHTTPDate: malformed) == nil, "\(malformed)")
        }
    }

    @Test("a 401 whose Date is past the drift is a skew, ahead or behind; anything else is not")
    func skew() throws {
        let date = "Sun, 06 Nov 1994 08:49:37 GMT"
        let ahead = try #require(MAuthClockSkew(status: 401, date: date, signingTime: 784_111_777 - 412))
        #expect(ahead.seconds == 412)
        #expect(ahead.description == "the server's clock is 412 s ahead of this machine's; MAuth allows 300 s")
        let behind = try #require(MAuthClockSkew(status: 401, date: date, signingTime: 784_111_777 + 3600))
        #expect(behind.description == "the server's clock is 3600 s behind this machine's; MAuth allows 300 s")
        #expect(MAuthClockSkew(status: 401, date: date, signingTime: 784_111_777 - 300) == nil, "within the drift")
        #expect(MAuthClockSkew(status: 200, date: date, signingTime: 0) == nil)
        #expect(MAuthClockSkew(status: 401, date: nil, signingTime: 0) == nil)

        let corrected = ahead.correcting(.fixed(784_111_777 - 412))
        #expect(corrected.now() == 784_111_777)
        let signer = Fixtures.signer(versions: [.v2], time: 784_111_777 - 412).correcting(ahead)
        #expect(signer.clock.now() == 784_111_777)
    }
}
