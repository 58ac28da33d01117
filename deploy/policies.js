// Policy statements more than one resource of the template uses.

/** A statement refusing the actions on a resource to any request not made over TLS. */
const denyPlainHttp = (actions, resource) => ({
  Sid: 'DenyPlainHttp',
  Effect: 'Deny',
  Principal: '*',
  Action: actions,
  Resource: resource,
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
})

module.exports = { denyPlainHttp }
