-- clinics_fts: the clinics' Thai search (ค้นหา), as complaints_fts is made: the text of each place
-- in Thai bigram tokens (thai_index_text, openbangkok.thai.search) in an FTS5 table of the ascii
-- tokenizer, row for row with clinics by rowid; the site's ?_search= reads it (metadata fts_table).
create virtual table clinics_fts using fts5(name_th, name_en, kind, services, address, tokenize = 'ascii');
insert into clinics_fts (rowid, name_th, name_en, kind, services, address)
select rowid, thai_index_text(name_th), thai_index_text(name_en), thai_index_text(kind),
       thai_index_text(services), thai_index_text(address)
from clinics;
