// Authenticates through a MAuth service, configured from the environment.
// snippet.hide
import HTTPTypes
import MAuth
import MAuthService

let headers: HTTPFields = [:]
let body: [UInt8] = []
if CommandLine.arguments.contains("--run") {
    // snippet.show
    // APP_UUID, PRIVATE_KEY, MAUTH_URL, MAUTH_MODE (local or remote), … (MAUTH_-prefixed names win)
    let mauth = try MAuthServiceAuthenticator.fromEnvironment()
    let result = await mauth.authenticate(method: "GET", url: "/v1/items?page=2", headers: headers, body: body)
    print(result.isAuthentic, result.status, result.message ?? "", result.identity?.appUUID ?? "-")
    // In a pipeline: MAuthMiddleware(authenticator: mauth.authenticator, exemptPaths: ["/app_status"])
    // snippet.hide
}
