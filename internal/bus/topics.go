package bus

// Topic names. Operators' connections listen on their account's topic; a visitor's connections
// on the visitor's own topic and on their account's visitor-wide topic.
func AccountTopic(accountID string) string         { return "account." + accountID }
func VisitorTopic(visitorID string) string         { return VisitorFamily + visitorID }
func AccountVisitorsTopic(accountID string) string { return "visitors." + accountID }

// FollowersTopic carries a portal advertiser's availability to the portal visitors who follow
// it (those on its listing pages, chatting with it, or offered a chat button for it), rather
// than to every visitor of the portal.
func FollowersTopic(advertiserID string) string { return FollowersFamily + advertiserID }

// IntegrationTopic carries an account's events for integrations (e.g. "visitor.left"); on NATS
// an integration subscribes to it with the bus's subject prefix: portico.integrations.<id>.
func IntegrationTopic(accountID string) string { return "integrations." + accountID }

// Families of topics that a node follows with one subscription each, whatever number of their
// topics its connections need: one per visitor, one per followed advertiser.
const (
	VisitorFamily   = "visitor."
	FollowersFamily = "followers."
)
