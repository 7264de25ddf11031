package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

const conversationSelect = `SELECT c.id, c.account_id, c.visitor_id, c.status, c.owner_id, c.listing_id, c.category_id,
	c.flagged, c.meaningful, c.last_seq, c.created_at, c.closed_at,
	COALESCE(o.name, ''), COALESCE(o.photo_url, ''),
	COALESCE(l.title, ''), COALESCE(l.url, ''), COALESCE(l.external_id, ''),
	v.name, v.email,
	m.body, m.author_type, m.created_at,
	a.kind, COALESCE(a.external_id, ''), a.name
FROM conversations c
JOIN visitors v ON v.id = c.visitor_id
JOIN accounts a ON a.id = c.account_id
LEFT JOIN operators o ON o.id = c.owner_id
LEFT JOIN listings l ON l.id = c.listing_id
LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq`

func (s *Store) CreateConversation(ctx context.Context, c *domain.Conversation, first *domain.Message) error {
	var listingID string
	if c.Listing != nil {
		listingID = c.Listing.ID
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// A conversation with an owner (an accepted invitation) starts active, claimed by them.
		status, claimedAt := domain.ConversationWaiting, sql.NullInt64{}
		if c.OwnerID != "" {
			status, claimedAt = domain.ConversationActive, sql.NullInt64{Int64: ms(c.CreatedAt), Valid: true}
		}
		_, err := s.exec(ctx, tx, `INSERT INTO conversations (id, account_id, visitor_id, status, owner_id, listing_id, flagged, last_seq, start_client_msg_id, created_at, claimed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`,
			c.ID, c.AccountID, c.VisitorID, string(status), nullString(c.OwnerID), nullString(listingID), boolInt(c.Flagged), first.ClientMsgID, ms(c.CreatedAt), claimedAt)
		if s.dialect.IsUniqueViolation(err) {
			return fmt.Errorf("conversation already started with this client_msg_id: %w", domain.ErrConflict)
		}
		if err != nil {
			return err
		}
		first.ConversationID = c.ID
		if _, _, err := s.appendMessage(ctx, tx, first); err != nil {
			return err
		}
		if err := s.insertRoutes(ctx, tx, c); err != nil {
			return err
		}
		c.Status, c.LastSeq = status, first.Seq
		return nil
	})
}

func (s *Store) ConversationByStart(ctx context.Context, visitorID, clientMsgID string) (*domain.Conversation, error) {
	list, err := s.conversations(ctx, s.read, conversationSelect+` WHERE c.visitor_id = ? AND c.start_client_msg_id = ?`, visitorID, clientMsgID)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, domain.ErrNotFound
	}
	return &list[0], nil
}

// ConversationByID reads the conversation, its participants and its routes: it runs for every
// message sent, so the three reads go to the database together.
func (s *Store) ConversationByID(ctx context.Context, id string) (*domain.Conversation, error) {
	var list []domain.Conversation
	var people []participant
	var routes []route
	ids := []any{id}
	err := s.readSteps(ctx, []Step{
		{Query: conversationSelect + ` WHERE c.id = ?`, Args: ids, Scan: func(scan func(...any) error) error {
			c, err := scanConversation(scan)
			list = append(list, c)
			return err
		}},
		participantsStep(ids, &people),
		routesStep(ids, &routes),
	})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, domain.ErrNotFound
	}
	attachParticipants(list, people)
	attachRoutes(list, routes)
	return &list[0], nil
}

// conversationAccessQuery reads, in one statement, the conversation's row and the ids of its
// current participants and of the operators it is routed to: a row per part, told apart by the
// first column; its columns are those of visitorAndAccessQuery (read by accessRead).
const conversationAccessQuery = `SELECT 'conversation', c.account_id, c.visitor_id, c.status, COALESCE(c.owner_id, ''), 0, 0
	FROM conversations c WHERE c.id = ?
UNION ALL SELECT 'participant', p.operator_id, '', '', '', 0, 0 FROM conversation_participants p
	WHERE p.conversation_id = ? AND p.left_at IS NULL
UNION ALL SELECT 'route', r.operator_id, '', '', '', 0, 0 FROM conversation_routes r WHERE r.conversation_id = ?`

// visitorAndAccessQuery is conversationAccessQuery with a first row for the visitor of a token.
const visitorAndAccessQuery = `SELECT 'visitor', v.id, v.account_id, v.name, v.email, v.created_at, v.last_seen_at
	FROM visitors v WHERE v.token_hash = ?
UNION ALL ` + conversationAccessQuery

// visitorByIDAndAccessQuery is visitorAndAccessQuery for a visitor known by id.
const visitorByIDAndAccessQuery = `SELECT 'visitor', v.id, v.account_id, v.name, v.email, v.created_at, v.last_seen_at
	FROM visitors v WHERE v.id = ?
UNION ALL ` + conversationAccessQuery

// accessRead collects the rows of the queries above.
type accessRead struct {
	visitor      *domain.Visitor
	conversation domain.Conversation
	found        bool
	// row and into are where every row is scanned: scanned into variables of its own, each
	// row cost seven allocations, for every message.
	row  accessRow
	into []any
}

type accessRow struct {
	part, first, second, third, fourth string
	created, seen                      int64
}

func newAccessRead(conversationID string) *accessRead {
	return &accessRead{conversation: domain.Conversation{ID: conversationID, Participants: []domain.Person{}, RoutedTo: []string{}}}
}

// reset forgets what an earlier run of the read found: a group commit that rolled back runs its
// writes again.
func (a *accessRead) reset() {
	*a = *newAccessRead(a.conversation.ID)
}

func (a *accessRead) scan(scan func(...any) error) error {
	r := &a.row
	if a.into == nil {
		a.into = []any{&r.part, &r.first, &r.second, &r.third, &r.fourth, &r.created, &r.seen}
	}
	if err := scan(a.into...); err != nil {
		return err
	}
	first, second, third, fourth, created, seen := r.first, r.second, r.third, r.fourth, r.created, r.seen
	c := &a.conversation
	switch r.part {
	case "visitor":
		a.visitor = &domain.Visitor{ID: first, AccountID: second, Name: third, Email: fourth,
			CreatedAt: fromMS(created), LastSeenAt: fromMS(seen)}
	case "conversation":
		a.found = true
		c.AccountID, c.VisitorID, c.Status, c.OwnerID = first, second, domain.ConversationStatus(third), fourth
	case "participant":
		c.Participants = append(c.Participants, domain.Person{ID: first})
	case "route":
		c.RoutedTo = append(c.RoutedTo, first)
	}
	return nil
}

// ConversationAccess reads only what decides who may write in a conversation and who hears of
// it, for the paths that run for every message and typing indicator: ConversationByID joins
// six tables for names and the last message that these paths never show.
func (s *Store) ConversationAccess(ctx context.Context, id string) (*domain.Conversation, error) {
	read := newAccessRead(id)
	ctx, db := s.byKey(ctx)
	if err := s.readStepsOn(ctx, db, []Step{{Query: conversationAccessQuery, Args: []any{id, id, id}, Scan: read.scan}}); err != nil {
		return nil, err
	}
	if !read.found {
		return nil, domain.ErrNotFound
	}
	return &read.conversation, nil
}

// VisitorAndConversationAccess is VisitorByTokenHash and ConversationAccess in one statement:
// a visitor's message needs both, and each read by key is a round trip on PostgreSQL and a turn
// at the one write connection on SQLite. The visitor is nil when no visitor has the token, the
// conversation nil when there is no such conversation.
func (s *Store) VisitorAndConversationAccess(ctx context.Context, tokenHash, conversationID string) (*domain.Visitor, *domain.Conversation, error) {
	read := newAccessRead(conversationID)
	ctx, db := s.byKey(ctx)
	err := s.readStepsOn(ctx, db, []Step{{Query: visitorAndAccessQuery,
		Args: []any{tokenHash, conversationID, conversationID, conversationID}, Scan: read.scan}})
	if err != nil {
		return nil, nil, err
	}
	if read.visitor != nil {
		read.visitor.TokenHash = tokenHash
	}
	if !read.found {
		return read.visitor, nil, nil
	}
	return read.visitor, &read.conversation, nil
}

func (s *Store) ListConversations(ctx context.Context, f store.ConversationFilter) ([]domain.Conversation, error) {
	if len(f.AccountIDs) == 0 && f.AdvertisersOf == "" {
		return nil, errors.New("list conversations: no account given")
	}
	var args []any
	where := []string{accountsWhere("c.account_id", f.AccountIDs, f.AdvertisersOf, &args)}
	if f.Status != "" {
		where = append(where, "c.status = ?")
		args = append(args, string(f.Status))
	}
	if f.VisitorID != "" {
		where = append(where, "c.visitor_id = ?")
		args = append(args, f.VisitorID)
	}
	if f.VisibleTo != "" {
		// A waiting chat that a rule routed to others is not theirs to see.
		where = append(where, `((c.status = 'waiting' AND (NOT EXISTS (SELECT 1 FROM conversation_routes r WHERE r.conversation_id = c.id)
				OR EXISTS (SELECT 1 FROM conversation_routes r WHERE r.conversation_id = c.id AND r.operator_id = ?)))
			OR c.owner_id = ? OR EXISTS (
			SELECT 1 FROM conversation_participants p WHERE p.conversation_id = c.id AND p.operator_id = ?))`)
		args = append(args, f.VisibleTo, f.VisibleTo, f.VisibleTo)
	}
	if f.RoutedTo != "" {
		where = append(where, `(EXISTS (SELECT 1 FROM conversation_routes r WHERE r.conversation_id = c.id AND r.operator_id = ?)
			OR c.owner_id = ? OR EXISTS (
			SELECT 1 FROM conversation_participants p WHERE p.conversation_id = c.id AND p.operator_id = ?))`)
		args = append(args, f.RoutedTo, f.RoutedTo, f.RoutedTo)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	args = append(args, limit)
	return s.conversations(ctx, s.read, conversationSelect+` WHERE `+strings.Join(where, " AND ")+` ORDER BY c.created_at DESC, c.id DESC LIMIT ?`, args...)
}

// accountsWhere is the condition that a row's account (accountColumn, the account joined as a)
// is one of ids or an advertiser of the portal advertisersOf, its arguments added to args. Asked
// of each row's account, not as a set of the portal's advertisers, so that the database can
// start from a narrower index (a visitor's chats) without building the set first.
func accountsWhere(accountColumn string, ids []string, advertisersOf string, args *[]any) string {
	var or []string
	if len(ids) > 0 {
		or = append(or, accountColumn+" IN ("+placeholders(len(ids))+")")
		for _, id := range ids {
			*args = append(*args, id)
		}
	}
	if advertisersOf != "" {
		or = append(or, "a.parent_id = ?")
		*args = append(*args, advertisersOf)
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

func (s *Store) conversations(ctx context.Context, q querier, query string, args ...any) ([]domain.Conversation, error) {
	rows, err := s.query(ctx, q, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Conversation
	for rows.Next() {
		c, err := scanConversation(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]any, len(out))
	for i, c := range out {
		ids[i] = c.ID
	}
	var people []participant
	var routes []route
	if err := s.runSteps(ctx, q, []Step{participantsStep(ids, &people), routesStep(ids, &routes)}); err != nil {
		return nil, err
	}
	attachParticipants(out, people)
	attachRoutes(out, routes)
	return out, nil
}

// scanConversation reads one row of conversationSelect.
func scanConversation(scan func(dest ...any) error) (domain.Conversation, error) {
	var c domain.Conversation
	var status string
	var owner, listing, category sql.NullString
	var flagged, meaningful int
	var created int64
	var closed sql.NullInt64
	var ownerName, ownerPhoto, listingTitle, listingURL, listingExternal string
	var lastBody, lastAuthor sql.NullString
	var lastAt sql.NullInt64
	var accountKind, advertiserID, advertiserName string
	err := scan(&c.ID, &c.AccountID, &c.VisitorID, &status, &owner, &listing, &category,
		&flagged, &meaningful, &c.LastSeq, &created, &closed,
		&ownerName, &ownerPhoto, &listingTitle, &listingURL, &listingExternal,
		&c.Visitor.Name, &c.Visitor.Email, &lastBody, &lastAuthor, &lastAt,
		&accountKind, &advertiserID, &advertiserName)
	if err != nil {
		return c, err
	}
	c.Status = domain.ConversationStatus(status)
	c.OwnerID, c.CategoryID = owner.String, category.String
	c.Flagged, c.Meaningful = flagged != 0, meaningful != 0
	c.CreatedAt, c.ClosedAt = fromMS(created), fromNullMS(closed)
	c.Visitor.ID = c.VisitorID
	if owner.Valid {
		c.Owner = &domain.Person{ID: owner.String, Name: ownerName, PhotoURL: ownerPhoto}
	}
	if accountKind == string(domain.KindAdvertiser) {
		c.Advertiser = &domain.AdvertiserRef{ExternalID: advertiserID, Name: advertiserName}
	}
	if listing.Valid {
		c.Listing = &domain.Listing{ID: listingExternal, Title: listingTitle, URL: listingURL}
	}
	if lastBody.Valid {
		c.LastMessage = &domain.MessagePreview{Body: lastBody.String, AuthorType: domain.AuthorType(lastAuthor.String), CreatedAt: fromMS(lastAt.Int64)}
	}
	return c, nil
}

type participant struct {
	conversationID string
	person         domain.Person
}

// participantsStep reads the operators taking part in the conversations ids, in the order they joined.
func participantsStep(ids []any, into *[]participant) Step {
	return Step{Query: `SELECT p.conversation_id, o.id, o.name, o.photo_url FROM conversation_participants p
		JOIN operators o ON o.id = p.operator_id
		WHERE p.left_at IS NULL AND p.conversation_id IN (` + placeholders(len(ids)) + `) ORDER BY p.joined_at`, Args: ids,
		Scan: func(scan func(...any) error) error {
			var p participant
			err := scan(&p.conversationID, &p.person.ID, &p.person.Name, &p.person.PhotoURL)
			*into = append(*into, p)
			return err
		}}
}

func attachParticipants(list []domain.Conversation, people []participant) {
	index := make(map[string]int, len(list))
	for i := range list {
		list[i].Participants = []domain.Person{}
		index[list[i].ID] = i
	}
	for _, p := range people {
		if i, ok := index[p.conversationID]; ok {
			list[i].Participants = append(list[i].Participants, p.person)
		}
	}
}

func (s *Store) ClaimConversation(ctx context.Context, id, operatorID string, at time.Time) (*domain.Conversation, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `UPDATE conversations SET status = 'active', owner_id = ?, claimed_at = ? WHERE id = ? AND status = 'waiting'`,
			operatorID, ms(at), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return s.claimRefusal(ctx, tx, id)
		}
		_, err = s.exec(ctx, tx, `INSERT INTO conversation_participants (conversation_id, operator_id, joined_at) VALUES (?, ?, ?)
			ON CONFLICT (conversation_id, operator_id) DO UPDATE SET left_at = NULL`, id, operatorID, ms(at))
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.ConversationByID(ctx, id)
}

// claimRefusal explains why a claim touched no row: the conversation is missing, closed, or
// someone else won the race.
func (s *Store) claimRefusal(ctx context.Context, q querier, id string) error {
	var status string
	var owner sql.NullString
	var name string
	err := s.queryRow(ctx, q, `SELECT c.status, c.owner_id, COALESCE(o.name, '') FROM conversations c
		LEFT JOIN operators o ON o.id = c.owner_id WHERE c.id = ?`, id).Scan(&status, &owner, &name)
	if err != nil {
		return notFound(err)
	}
	if status == string(domain.ConversationClosed) {
		return domain.ErrClosed
	}
	return &domain.ClaimedError{Owner: domain.Person{ID: owner.String, Name: name}}
}

func (s *Store) CloseConversation(ctx context.Context, id, categoryID string, at time.Time, mails []domain.OutboxMail) (*domain.Conversation, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `UPDATE conversations SET status = 'closed', closed_at = ?, category_id = ? WHERE id = ? AND status <> 'closed'`,
			ms(at), nullString(categoryID), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var status string
			if err := s.queryRow(ctx, tx, `SELECT status FROM conversations WHERE id = ?`, id).Scan(&status); err != nil {
				return notFound(err)
			}
			return domain.ErrClosed
		}
		_, err = s.exec(ctx, tx, `UPDATE conversation_participants SET left_at = ? WHERE conversation_id = ? AND left_at IS NULL`, ms(at), id)
		if err != nil {
			return err
		}
		return s.insertMails(ctx, tx, mails)
	})
	if err != nil {
		return nil, err
	}
	return s.ConversationByID(ctx, id)
}

// AppendMessage stores a message in the next group commit.
func (s *Store) AppendMessage(ctx context.Context, m *domain.Message) (*domain.Message, bool, error) {
	w := newMessageWrite(m, &s.messageWrites.byAnyone, []any{m.Author.ID, m.Author.Name}, nil)
	if err := s.inGroup(ctx, m.ConversationID, w.steps); err != nil {
		return nil, false, err
	}
	return s.messageOutcome(ctx, s.read, w)
}

// AppendVisitorMessage stores a visitor's message in the next group commit if the conversation
// is the visitor's, and reads its access and the visitor in the same round trip.
func (s *Store) AppendVisitorMessage(ctx context.Context, m *domain.Message) (*store.AppendResult, error) {
	if m.Author.Type != domain.AuthorVisitor {
		return nil, fmt.Errorf("append a visitor's message: the author is a %q", m.Author.Type)
	}
	w := newMessageWrite(m, &s.messageWrites.byVisitor, []any{m.Author.ID}, []any{m.Author.ID})
	access := newAccessRead(m.ConversationID)
	w.steps = append(w.steps, Step{Query: visitorByIDAndAccessQuery, Args: []any{m.Author.ID, m.ConversationID, m.ConversationID, m.ConversationID},
		Scan: access.scan, Reset: access.reset})
	if err := s.inGroup(ctx, m.ConversationID, w.steps); err != nil {
		return nil, err
	}
	return s.appendResult(ctx, w, access, &store.AppendResult{Visitor: access.visitor})
}

// AppendOperatorMessage stores the message of the operator of a session in the next group commit
// if the session is live and its operator takes part in the conversation, and reads the session
// and the conversation's access in the same round trip. The session is read before the write:
// a session that ends between the two is seen live by the read and ended by the write, which
// stores nothing, so a stored message always comes with its sender (read after, a stored message
// could come back with no session, and go unannounced).
func (s *Store) AppendOperatorMessage(ctx context.Context, m *domain.Message, proof store.SessionProof) (*store.AppendResult, error) {
	if m.Author.Type != domain.AuthorOperator {
		return nil, fmt.Errorf("append an operator's message: the author is a %q", m.Author.Type)
	}
	var session sessionRead
	readSession := sessionStep(proof.TokenHash, proof.Now, &session)
	readSession.Reset = func() { session.operator = nil }
	w := newMessageWrite(m, &s.messageWrites.bySession, []any{proof.TokenHash, proof.TokenHash},
		[]any{proof.TokenHash, ms(proof.Now), boolInt(proof.CheckCSRF), proof.CSRFToken}, readSession)
	access := newAccessRead(m.ConversationID)
	w.steps = append(w.steps,
		Step{Query: conversationAccessQuery, Args: []any{m.ConversationID, m.ConversationID, m.ConversationID}, Scan: access.scan, Reset: access.reset})
	if err := s.inGroup(ctx, m.ConversationID, w.steps); err != nil {
		return nil, err
	}
	res := &store.AppendResult{Operator: session.operator}
	if session.operator != nil {
		res.Session = &session.session
		m.Author.ID = session.operator.ID
	}
	return s.appendResult(ctx, w, access, res)
}

// appendResult completes res with what a messageWrite with an access read did.
func (s *Store) appendResult(ctx context.Context, w *messageWrite, access *accessRead, res *store.AppendResult) (*store.AppendResult, error) {
	if access.found {
		res.Conversation = &access.conversation
	}
	if w.stored() {
		w.m.Seq, w.m.Author.ID, w.m.Author.Name = w.seq, w.authorID, w.authorName
		res.Message, res.Created = w.m, true
		return res, nil
	}
	if w.m.Author.ID == "" {
		return res, nil
	}
	original, err := s.messageByClientID(ctx, s.read, w.m)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	res.Message = original
	return res, nil
}

// appendMessage stores a message inside the caller's transaction.
func (s *Store) appendMessage(ctx context.Context, tx *sql.Tx, m *domain.Message) (*domain.Message, bool, error) {
	w := newMessageWrite(m, &s.messageWrites.byAnyone, []any{m.Author.ID, m.Author.Name}, nil)
	if err := s.runSteps(ctx, tx, w.steps); err != nil {
		return nil, false, err
	}
	return s.messageOutcome(ctx, tx, w)
}

// messageWrite appends a message: it takes the conversation row's lock, so concurrent senders on
// every node queue up behind it; inserts the message with the seq after the conversation's last,
// unless the conversation is closed (for anyone but the system) or missing, the statements' sender
// check fails, or its client_msg_id was used before (which, under the lock, is found and not
// raced); and advances last_seq only if that message is there. The sender is checked by the insert
// alone: a session ended or a participant gone meanwhile must not leave last_seq advanced for a
// message that was not stored (a gap), nor move it for one that was never counted. None of these
// refusals is an error in the database, so they never spoil a group commit.
//
// On PostgreSQL the three are one statement (messageStatements.fused); on SQLite, whose write
// transaction holds the whole database and needs no lock, they are the insert and the advance.
type messageWrite struct {
	m                    *domain.Message
	seq                  int64
	authorID, authorName string
	steps                []Step
	// insert is the index in steps of the statement whose rows say whether the message was
	// stored.
	insert int
}

// stored says whether the committed write stored its message.
func (w *messageWrite) stored() bool { return w.steps[w.insert].Rows == 1 }

// messageStatements are a messageWrite's statements for one way of checking the sender: the
// insert's author is given by the author's placeholders, and its sender check's placeholders come
// last. Their placeholders, in order, are the conversation's id for the lock, the insert's, then
// the advance's; the insert and the advance leave out the lock's.
type messageStatements struct {
	insert, advance string
	// fused locks, inserts and advances in one statement, where the dialect locks rows
	// (RowLocker): each statement of a transaction costs PostgreSQL an executor start, a snapshot
	// and a round of protocol messages, and the node a round of encoding and decoding.
	fused string
}

// The ways of checking a message's sender.
var (
	// checkNothing checks nothing of the sender: its author is an id and a name.
	checkNothing = senderCheck{"", "?, ?"}
	// checkVisitor writes only in the conversation of the visitor of the author id given once,
	// and takes the author's name from the visitor's row.
	checkVisitor = senderCheck{` AND conversations.visitor_id = ?`,
		`?, COALESCE((SELECT v.name FROM visitors v WHERE v.id = conversations.visitor_id), '')`}
	// checkSession writes only for the operator of a live session (its token hash, the time,
	// whether to check the CSRF token and the token) who owns the conversation or takes part in
	// it; the author is that operator, found by the token hash given twice.
	checkSession = senderCheck{` AND EXISTS (SELECT 1 FROM sessions s JOIN operators o ON o.id = s.operator_id
			WHERE s.token_hash = ? AND s.expires_at > ? AND o.deleted_at IS NULL AND (? = 0 OR s.csrf_token = ?)
			AND (conversations.owner_id = o.id OR EXISTS (SELECT 1 FROM conversation_participants p
				WHERE p.conversation_id = conversations.id AND p.operator_id = o.id AND p.left_at IS NULL)))`,
		`(SELECT s.operator_id FROM sessions s WHERE s.token_hash = ?),
			(SELECT o.name FROM sessions s JOIN operators o ON o.id = s.operator_id WHERE s.token_hash = ?)`}
)

// senderCheck is a condition on the sender, written against the conversation's columns as
// conversations.*, and the author columns it goes with.
type senderCheck struct{ condition, author string }

// messageWrites are a store's messageStatements for each senderCheck.
type messageWrites struct{ byAnyone, byVisitor, bySession messageStatements }

// newMessageWrites writes the statements for a dialect whose lock clause is lock ("" for one
// that needs none).
func newMessageWrites(lock string) messageWrites {
	return messageWrites{
		byAnyone:  newMessageStatements(lock, checkNothing),
		byVisitor: newMessageStatements(lock, checkVisitor),
		bySession: newMessageStatements(lock, checkSession),
	}
}

// newMessageStatements writes the statements with the sender check c, and the fused one if the
// dialect has a lock clause.
func newMessageStatements(lock string, c senderCheck) messageStatements {
	// The conversation's columns the insert and c read, from the table or from the locked row.
	insert := func(conversations string) string {
		return `INSERT INTO messages (id, conversation_id, seq, author_type, author_id, author_name, body, client_msg_id, created_at)
			SELECT ?, conversations.id, conversations.last_seq + 1, ?, ` + c.author + `, ?, ?, CAST(? AS BIGINT) FROM ` + conversations + `
			WHERE conversations.id = ? AND (conversations.status <> 'closed' OR ? = 1)` + c.condition + `
			ON CONFLICT (conversation_id, author_type, author_id, client_msg_id) DO NOTHING`
	}
	st := messageStatements{
		insert: insert("conversations") + ` RETURNING seq, author_id, author_name`,
		// Found by the conversation and the seq it took: on SQLite, messages have no index by id
		// (migration 0013).
		advance: `UPDATE conversations SET last_seq = last_seq + 1, meaningful = CASE WHEN ? = 1 THEN 1 ELSE meaningful END
			WHERE id = ? AND EXISTS (SELECT 1 FROM messages m
				WHERE m.conversation_id = conversations.id AND m.seq = conversations.last_seq + 1 AND m.id = ?)`,
	}
	if lock != "" {
		// The insert reads the locked row, not the table: its snapshot was taken before the
		// lock was granted, and a message committed meanwhile on another node has moved
		// last_seq. The advance sets the seq the message took.
		st.fused = `WITH locked AS (SELECT id, last_seq, status, visitor_id, owner_id FROM conversations WHERE id = ? ` + lock + `),
			inserted AS (` + insert("locked conversations") + ` RETURNING id, seq, author_id, author_name),
			advanced AS (UPDATE conversations SET last_seq = inserted.seq, meaningful = CASE WHEN ? = 1 THEN 1 ELSE meaningful END
				FROM inserted WHERE conversations.id = ? AND inserted.id = ?)
			SELECT seq, author_id, author_name FROM inserted`
	}
	return st
}

// newMessageWrite writes m with the statements st, whose author placeholders take authorArgs
// and whose sender checks take checkArgs, after the steps before.
func newMessageWrite(m *domain.Message, st *messageStatements, authorArgs, checkArgs []any, before ...Step) *messageWrite {
	w := &messageWrite{m: m, insert: len(before)}
	system := boolInt(m.Author.Type == domain.AuthorSystem)
	// A chat counts as meaningful once an operator has answered in it.
	operator := boolInt(m.Author.Type == domain.AuthorOperator)
	// The statements' arguments share one array, and each id is boxed once: this runs for
	// every message.
	conversationID, messageID := any(m.ConversationID), any(m.ID)
	args := make([]any, 0, 1+7+len(authorArgs)+len(checkArgs)+3)
	args = append(args, conversationID)
	args = append(append(args, messageID, string(m.Author.Type)), authorArgs...)
	args = append(append(args, m.Body, m.ClientMsgID, ms(m.CreatedAt), conversationID, system), checkArgs...)
	inserted := len(args)
	args = append(args, operator, conversationID, messageID)
	scan := func(scan func(...any) error) error { return scan(&w.seq, &w.authorID, &w.authorName) }
	// Room for the reads that follow the write.
	const after = 2
	if st.fused != "" {
		w.steps = make([]Step, w.insert+1, w.insert+1+after)
		w.steps[w.insert] = Step{Query: st.fused, Args: args, Scan: scan}
	} else {
		w.steps = make([]Step, w.insert+2, w.insert+2+after)
		w.steps[w.insert] = Step{Query: st.insert, Args: args[1:inserted:inserted], Scan: scan}
		w.steps[w.insert+1] = Step{Query: st.advance, Args: args[inserted:]}
	}
	copy(w.steps, before)
	return w
}

// messageOutcome reads what a committed messageWrite did: stored the message, found the
// original of a repeated client_msg_id, or refused it.
func (s *Store) messageOutcome(ctx context.Context, q querier, w *messageWrite) (*domain.Message, bool, error) {
	if w.stored() {
		w.m.Seq = w.seq
		return w.m, true, nil
	}
	original, err := s.messageByClientID(ctx, q, w.m)
	if err == nil {
		return original, false, nil
	}
	if !errors.Is(err, domain.ErrNotFound) {
		return nil, false, err
	}
	var status string
	if err := s.queryRow(ctx, q, `SELECT status FROM conversations WHERE id = ?`, w.m.ConversationID).Scan(&status); err != nil {
		return nil, false, notFound(err)
	}
	if status == string(domain.ConversationClosed) {
		return nil, false, domain.ErrClosed
	}
	return nil, false, fmt.Errorf("message %s not stored", w.m.ID)
}

const messageColumns = `id, conversation_id, seq, author_type, author_id, author_name, body, client_msg_id, created_at`

func (s *Store) messageByClientID(ctx context.Context, q querier, m *domain.Message) (*domain.Message, error) {
	rows, err := s.query(ctx, q, `SELECT `+messageColumns+` FROM messages
		WHERE conversation_id = ? AND author_type = ? AND author_id = ? AND client_msg_id = ?`,
		m.ConversationID, string(m.Author.Type), m.Author.ID, m.ClientMsgID)
	if err != nil {
		return nil, err
	}
	list, err := scanMessages(rows)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, domain.ErrNotFound
	}
	return &list[0], nil
}

func (s *Store) MessagesAfter(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]domain.Message, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := s.query(ctx, s.read, `SELECT `+messageColumns+` FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		conversationID, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	return scanMessages(rows)
}

func scanMessages(rows *sql.Rows) ([]domain.Message, error) {
	defer rows.Close()
	out := []domain.Message{}
	for rows.Next() {
		var m domain.Message
		var authorType string
		var at int64
		if err := rows.Scan(&m.ID, &m.ConversationID, &m.Seq, &authorType, &m.Author.ID, &m.Author.Name, &m.Body, &m.ClientMsgID, &at); err != nil {
			return nil, err
		}
		m.Author.Type, m.CreatedAt = domain.AuthorType(authorType), fromMS(at)
		out = append(out, m)
	}
	return out, rows.Err()
}
