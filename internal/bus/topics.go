package bus

// Topic names. Operators' connections listen on their account's topic; a visitor's connections
// on the visitor's own topic and on their account's visitor-wide topic.
func AccountTopic(accountID string) string         { return "account." + accountID }
func VisitorTopic(visitorID string) string         { return VisitorFamily + visitorID }
func AccountVisitorsTopic(accountID string) string { return "visitors." + accountID }

// IntegrationTopic carries an account's events for integrations (e.g. "visitor.left"); on NATS
// an integration subscribes to it with the bus's subject prefix: portico.integrations.<id>.
func IntegrationTopic(accountID string) string { return "integrations." + accountID }

// VisitorFamily is the prefix of the visitor topics, which a node follows with one subscription.
const VisitorFamily = "visitor."
