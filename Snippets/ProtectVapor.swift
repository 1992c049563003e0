// A Vapor 4 application behind MAuth (trait VaporSupport).
// snippet.hide
#if VaporSupport
    import MAuth
    import MAuthVapor
    import Vapor

    let app = try await Application.make(.testing)
    let authenticator = MAuthAuthenticator(keyProvider: DirectoryPublicKeyProvider(directory: "keys"))
    // snippet.show
    app.get("app_status") { _ in "OK" }  // outside the group: not authenticated
    let signed = app.grouped(MAuthVaporMiddleware(authenticator: authenticator))
    signed.get { request in try request.auth.require(MAuthIdentity.self).appUUID }
    // snippet.hide
    try await app.asyncShutdown()
#endif
