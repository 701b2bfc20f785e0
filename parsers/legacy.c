#include <errno.h>
#include <search.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf-priv.h"
#include "legacy.h"
#include "log.h"

/*
 * The original bbvirt sourced vm.conf as root. We read the same files
 * without a shell: a lexer for the quoting bash does, and a grammar of
 * plain assignments. Anything that would need a shell to run or expand
 * is refused with its line.
 */
#define LEGACY_LINE_MAX 4096

static const char not_run[] =
    "a plain assignment (the config is parsed, not run; see the INI form in bbvirt.conf(5))";

enum tok_kind {
	TOK_WORD,
	TOK_END,        /* newline or ';' */
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_EOF,
};

struct lexer {
	const char *file;
	const char *s;
	size_t len;
	size_t pos;
	unsigned line;
	/* DOMAIN_*_key suffixes seen: key -> index in conf->domains. */
	struct hsearch_data keys;
	size_t keys_size;       /* 0: not created yet */
};

struct token {
	enum tok_kind kind;
	unsigned line;
	char *word;             /* TOK_WORD: the value, quotes removed */
	bool quoted;            /* some of the word was quoted or escaped */
	size_t raw;             /* offset of the word in the buffer */
	size_t eq;              /* for NAME=VALUE words: length of "NAME=" or "NAME+=", else 0 */
};

static int
refuse(struct lexer *l, unsigned line, size_t at)
{
	char vis[VISIBLE_BUF];
	size_t n = 0;

	/* The buffer need not end in a NUL: never look past len. */
	while (at + n < l->len && strchr(" \t\n;", l->s[at + n]) == NULL)
		n++;
	return conf_error(l->file, line, "expected %s, got '%s'", not_run,
	    str_visible(l->s + at, n, vis, sizeof(vis)));
}

/* Characters that end an unquoted word. */
static bool
breaks(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '(' ||
	    c == ')' || c == '\r';
}

static bool
name_char(char c, bool first)
{
	return c == '_' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
	    (!first && c >= '0' && c <= '9');
}

/* The length of a leading NAME= or NAME+=, else 0. */
static size_t
assignment_prefix(const char *w, size_t n)
{
	size_t i = 0;

	while (i < n && name_char(w[i], i == 0))
		i++;
	if (i > 0 && i < n && w[i] == '=')
		return i + 1;
	if (i > 0 && i + 1 < n && w[i] == '+' && w[i + 1] == '=')
		return i + 2;
	return 0;
}

/* "FOO" after export or declare: a name alone, which declares nothing we read. */
static bool
bare_name(const struct token *t)
{
	size_t i = 0;

	while (t->word[i] != '\0' && name_char(t->word[i], i == 0))
		i++;
	return !t->quoted && i > 0 && t->word[i] == '\0';
}

static int
push(char **buf, size_t *n, char c)
{
	if (GREEDY_GROW_EXTRA(*buf, *n, 1) < 0)
		return -ENOMEM;
	(*buf)[(*n)++] = c;
	(*buf)[*n] = '\0';
	return 0;
}

static int
lex_word(struct lexer *l, struct token *t)
{
	_cleanup_free_ char *w = NULL;
	size_t n = 0;
	size_t unquoted_prefix = 0;     /* chars before the first quote */
	bool quoted = false;

	if (push(&w, &n, '\0') < 0)
		return -ENOMEM;
	n = 0;
	if (l->s[l->pos] == '~')
		return refuse(l, l->line, l->pos);
	while (l->pos < l->len && !breaks(l->s[l->pos])) {
		char c = l->s[l->pos];

		/* Expansions, globs, braces, pipes and redirections need a shell. */
		if (strchr("$`|&<>*?[]{}", c) != NULL)
			return refuse(l, l->line, l->pos);
		if (c == '\\') {
			if (l->pos + 1 < l->len && l->s[l->pos + 1] == '\n') {
				l->pos += 2;
				l->line++;
				continue;
			}
			/* A backslash that ends the file stands for itself. */
			if (l->pos + 1 >= l->len) {
				if (push(&w, &n, c) < 0)
					return -ENOMEM;
				l->pos++;
				break;
			}
			quoted = true;
			if (push(&w, &n, l->s[l->pos + 1]) < 0)
				return -ENOMEM;
			l->pos += 2;
			continue;
		}
		if (c == '\'' || c == '"') {
			unsigned start = l->line;

			if (!quoted)
				unquoted_prefix = n;
			quoted = true;
			for (l->pos++;; l->pos++) {
				if (l->pos >= l->len)
					return conf_error(l->file, start,
					    "expected a closing %c for the quote started here, got end of file",
					    c);
				if (l->s[l->pos] == c)
					break;
				if (l->s[l->pos] == '\n')
					l->line++;
				if (c == '"' && (l->s[l->pos] == '$' ||
				    l->s[l->pos] == '`'))
					return refuse(l, l->line, l->pos);
				if (c == '"' && l->s[l->pos] == '\\' &&
				    l->pos + 1 < l->len &&
				    strchr("\"\\$`\n", l->s[l->pos + 1]) != NULL) {
					l->pos++;
					if (l->s[l->pos] == '\n') {
						l->line++;
						continue;
					}
				}
				if (push(&w, &n, l->s[l->pos]) < 0)
					return -ENOMEM;
			}
			l->pos++;
			continue;
		}
		if (push(&w, &n, c) < 0)
			return -ENOMEM;
		l->pos++;
	}
	t->kind = TOK_WORD;
	t->quoted = quoted;
	t->eq = assignment_prefix(w, quoted ? unquoted_prefix : n);
	t->word = TAKE_PTR(w);
	return 0;
}

/* Skips blanks and comments; returns the next token. */
static int
lex(struct lexer *l, struct token *t)
{
	*t = (struct token){ 0 };
	for (;;) {
		while (l->pos < l->len && (l->s[l->pos] == ' ' ||
		    l->s[l->pos] == '\t' || l->s[l->pos] == '\r'))
			l->pos++;
		if (l->pos + 1 < l->len && l->s[l->pos] == '\\' &&
		    l->s[l->pos + 1] == '\n') {
			l->pos += 2;
			l->line++;
			continue;
		}
		if (l->pos < l->len && l->s[l->pos] == '#') {
			while (l->pos < l->len && l->s[l->pos] != '\n')
				l->pos++;
			continue;
		}
		break;
	}
	t->line = l->line;
	t->raw = l->pos;
	if (l->pos >= l->len) {
		t->kind = TOK_EOF;
		return 0;
	}
	switch (l->s[l->pos]) {
	case '\n':
		l->line++;
		/* fall through */
	case ';':
		if (l->s[l->pos] == ';' && l->pos + 1 < l->len &&
		    l->s[l->pos + 1] == ';')
			return refuse(l, l->line, l->pos);
		l->pos++;
		t->kind = TOK_END;
		return 0;
	case '(':
		l->pos++;
		t->kind = TOK_LPAREN;
		return 0;
	case ')':
		l->pos++;
		t->kind = TOK_RPAREN;
		return 0;
	default:
		return lex_word(l, t);
	}
}

static void
token_done(struct token *t)
{
	free(t->word);
	t->word = NULL;
}

/*
 * (Re)creates the key table with room for twice the domains there are,
 * so that a lookup stays O(1) however many guests the file names.
 * Returns 0 or -ENOMEM.
 */
static int
keys_grow(struct lexer *l, const struct conf *conf)
{
	size_t size = l->keys_size > 0 ? l->keys_size * 2 : 64;

	if (l->keys_size > 0)
		hdestroy_r(&l->keys);
	l->keys = (struct hsearch_data){ 0 };
	l->keys_size = 0;
	if (hcreate_r(size, &l->keys) == 0)
		return -ENOMEM;
	l->keys_size = size;
	for (size_t i = 0; i < conf->n_domains; i++) {
		ENTRY e = { conf->domains[i].key, (void *)(uintptr_t)i };
		ENTRY *found;

		if (hsearch_r(e, ENTER, &found, &l->keys) == 0)
			return -ENOMEM;
	}
	return 0;
}

static void
keys_done(struct lexer *l)
{
	if (l->keys_size > 0)
		hdestroy_r(&l->keys);
	l->keys_size = 0;
}

/* The domain DOMAIN_*_key names, added on its first mention. */
static int
domain_for(struct lexer *l, struct conf *conf, const char *key, unsigned line,
    struct conf_domain **ret)
{
	ENTRY e = { (char *)key, NULL };
	ENTRY *found = NULL;
	struct conf_domain *d;

	if (l->keys_size > 0 && hsearch_r(e, FIND, &found, &l->keys) != 0) {
		*ret = &conf->domains[(uintptr_t)found->data];
		return 0;
	}
	if ((conf->n_domains + 1) * 2 > l->keys_size &&
	    keys_grow(l, conf) < 0)
		return log_oom();
	d = conf_add_domain(conf, key, line);
	if (d == NULL)
		return log_oom();
	e = (ENTRY){ d->key, (void *)(uintptr_t)(conf->n_domains - 1) };
	if (hsearch_r(e, ENTER, &found, &l->keys) == 0)
		return log_oom();
	*ret = d;
	return 0;
}

enum var {
	VAR_OTHER,
	VAR_NAME,
	VAR_URI,
	VAR_RNG,
};

static enum var
var_of(const char *name, size_t n, const char **ret_key)
{
	static const struct {
		const char *prefix;
		enum var var;
	} vars[] = {
		{ "DOMAIN_NAME_", VAR_NAME },
		{ "DOMAIN_URI_", VAR_URI },
		{ "DOMAIN_RNG_", VAR_RNG },
	};

	for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
		size_t k = strlen(vars[i].prefix);

		if (n > k && strncmp(name, vars[i].prefix, k) == 0) {
			*ret_key = name + k;
			return vars[i].var;
		}
	}
	return VAR_OTHER;
}

static int
add_serial(struct lexer *l, struct conf_domain *d, const char *s,
    unsigned line)
{
	char vis[VISIBLE_BUF];

	if (!serial_valid(s))
		return conf_error(l->file, line,
		    "expected a serial number (1-126 printable ASCII characters), got '%s'",
		    str_visible(s, strlen(s), vis, sizeof(vis)));
	if (conf_domain_add_serial(d, s, line) < 0)
		return log_oom();
	return 0;
}

/* Reads "( word... )" after NAME=; for DOMAIN_RNG_x it fills d. */
static int
parse_array(struct lexer *l, struct conf_domain *d, unsigned start)
{
	for (;;) {
		_cleanup_(token_done) struct token t = { 0 };
		int r;

		r = lex(l, &t);
		if (r < 0)
			return r;
		if (t.kind == TOK_RPAREN)
			return 0;
		if (t.kind == TOK_EOF)
			return conf_error(l->file, start,
			    "expected a closing ')' for the array started here, got end of file");
		if (t.kind == TOK_LPAREN)
			return refuse(l, t.line, t.raw);
		if (t.kind == TOK_END)
			continue;
		if (t.eq > 0 && !t.quoted && t.word[0] == '[')
			r = refuse(l, t.line, t.raw);
		else if (d != NULL)
			r = add_serial(l, d, t.word, t.line);
		if (r < 0)
			return r;
	}
}

static int
assign(struct lexer *l, struct conf *conf, struct token *t)
{
	bool append = t->word[t->eq - 2] == '+';
	size_t n = t->eq - (append ? 2 : 1);
	_cleanup_free_ char *name = strndup(t->word, n);
	const char *value = t->word + t->eq;
	const char *key = NULL;
	struct conf_domain *d = NULL;
	enum var var;
	char vis[VISIBLE_BUF];
	bool array = false;

	if (name == NULL)
		return log_oom();
	var = var_of(name, n, &key);
	/* An array starts right after '=': "NAME=(" with nothing between. */
	if (value[0] == '\0' && !t->quoted && l->pos < l->len &&
	    l->s[l->pos] == '(') {
		l->pos++;
		array = true;
	}
	if (var != VAR_OTHER) {
		int r = domain_for(l, conf, key, t->line, &d);

		if (r < 0)
			return r;
	}
	if (array && var != VAR_RNG && var != VAR_OTHER)
		return conf_error(l->file, t->line,
		    "expected a single value for %s, got an array", name);
	if (append && var != VAR_RNG && var != VAR_OTHER)
		return conf_error(l->file, t->line,
		    "expected '=' for %s, got '+='", name);
	if (var == VAR_RNG && append && !array)
		return conf_error(l->file, t->line,
		    "expected '+=( SERIAL... )' to add to %s, got '%s'", name,
		    str_visible(t->word, strlen(t->word), vis, sizeof(vis)));
	if (var == VAR_RNG && !append)
		conf_domain_clear_serials(d);
	if (array)
		return parse_array(l, var == VAR_RNG ? d : NULL, t->line);
	switch (var) {
	case VAR_RNG:
		/* $DOMAIN_RNG_x of a scalar is a one-element list, as in bash. */
		return value[0] == '\0' ? 0 : add_serial(l, d, value, t->line);
	case VAR_NAME:
		if (!conf_name_valid(value))
			return conf_error(l->file, t->line,
			    "expected a libvirt domain name, got '%s'",
			    str_visible(value, strlen(value), vis, sizeof(vis)));
		free(d->name);
		d->name = strdup(value);
		return d->name == NULL ? log_oom() : 0;
	case VAR_URI:
		free(d->uri);
		d->uri = NULL;
		if (value[0] == '\0')
			return 0;
		if (!conf_uri_valid(value))
			return conf_error(l->file, t->line,
			    "expected a libvirt URI without blanks, got '%s'",
			    str_visible(value, strlen(value), vis, sizeof(vis)));
		d->uri = strdup(value);
		return d->uri == NULL ? log_oom() : 0;
	default:
		return 0;
	}
}

static bool
is_prefix_word(const struct token *t, bool *ret_declare)
{
	*ret_declare = !t->quoted && (strcmp(t->word, "declare") == 0 ||
	    strcmp(t->word, "typeset") == 0);
	return *ret_declare || (!t->quoted && strcmp(t->word, "export") == 0);
}

/* declare's options that change nothing we read: -a -g -x -r. */
static bool
declare_option(const struct token *t)
{
	return !t->quoted && t->word[0] == '-' && t->word[1] != '\0' &&
	    t->word[strspn(t->word + 1, "agxr") + 1] == '\0';
}

static int
check_lines(const char *file, const char *buf, size_t len)
{
	unsigned line = 1;

	for (size_t i = 0; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (buf + i)) : len - i;

		if (n > LEGACY_LINE_MAX)
			return conf_error(file, line,
			    "expected a line of at most %d bytes", LEGACY_LINE_MAX);
		i += n + 1;
		line++;
	}
	return 0;
}

int
legacy_parse(const char *file, const char *buf, size_t len, struct conf *conf)
{
	_cleanup_(keys_done) struct lexer l = {
		.file = file, .s = buf, .len = len, .line = 1,
	};
	bool start = true;      /* at the start of a command */
	bool prefix = false;    /* after declare/export */
	bool declare = false;
	int r;

	r = check_lines(file, buf, len);
	if (r < 0)
		return r;
	for (;;) {
		_cleanup_(token_done) struct token t = { 0 };

		r = lex(&l, &t);
		if (r < 0)
			return r;
		if (t.kind == TOK_EOF)
			return 0;
		if (t.kind == TOK_END) {
			start = true;
			prefix = declare = false;
			continue;
		}
		if (t.kind != TOK_WORD) {
			r = refuse(&l, t.line, t.raw);
			return r;
		}
		if (t.eq > 0)
			r = assign(&l, conf, &t);
		else if (start && is_prefix_word(&t, &declare))
			prefix = true;
		else if (prefix && (bare_name(&t) ||
		    (declare && declare_option(&t))))
			r = 0;
		else
			r = refuse(&l, t.line, t.raw);
		if (r < 0)
			return r;
		start = false;
	}
}
