package history

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/portico/portico/internal/domain"
)

// CSVHeader names the columns of an exported transcript.
var CSVHeader = []string{"seq", "time", "author_type", "author_name", "body"}

// WriteCSV writes a transcript as CSV: one row a message, quoted by encoding/csv, every cell
// made safe to open in a spreadsheet.
func WriteCSV(w io.Writer, c *domain.Conversation, messages []domain.Message) error {
	out := csv.NewWriter(w)
	if err := out.Write(CSVHeader); err != nil {
		return err
	}
	for _, m := range messages {
		name := m.Author.Name
		if name == "" && m.Author.Type == domain.AuthorVisitor {
			name = c.Visitor.Name
		}
		row := []string{strconv.FormatInt(m.Seq, 10), m.CreatedAt.UTC().Format(time.RFC3339), string(m.Author.Type), name, m.Body}
		for i := range row {
			row[i] = SafeCell(row[i])
		}
		if err := out.Write(row); err != nil {
			return err
		}
	}
	out.Flush()
	return out.Error()
}

// SafeCell keeps a spreadsheet from reading a cell as a formula (CSV injection): text that
// starts with = + - @, a tab or a carriage return gets a leading apostrophe.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
