// The gate, its rejections and the response signer are the vocabulary of this module's API
// (`MAuthMiddleware(exemptPaths:errorMessages:requirement:)` takes their types), so importing the
// middleware brings them too.
@_exported public import MAuthIntegration
