//! The validator on small grammars written here: each construct accepts what RELAX NG says
//! and refuses the rest.

use rvirt_rng::Schema;

fn schema(body: &str) -> (Schema, tempdir::Dir) {
    let dir = tempdir::Dir::new();
    let main = format!(
        "<grammar xmlns='http://relaxng.org/ns/structure/1.0' \
         datatypeLibrary='http://www.w3.org/2001/XMLSchema-datatypes'>{body}</grammar>"
    );
    std::fs::write(dir.0.join("main.rng"), main).expect("write");
    std::fs::write(
        dir.0.join("inc.rng"),
        "<grammar xmlns='http://relaxng.org/ns/structure/1.0'>\
         <define name='extra'><notAllowed/></define>\
         <define name='color'><choice><value>red</value><value>blue</value></choice></define>\
         </grammar>",
    )
    .expect("write");
    let s = Schema::load(dir.0.join("main.rng")).expect("compiles");
    (s, dir)
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let d = std::env::temp_dir().join(format!(
                "rvirt-rng-grammar-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&d).expect("temp dir");
            Dir(d)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn ok(s: &Schema, xml: &str) -> bool {
    let doc = roxmltree::Document::parse(xml).expect("well-formed");
    s.validate(&doc).is_ok()
}

#[test]
fn interleave_lets_branches_mix_and_group_keeps_order() {
    let (s, _d) = schema(
        "<start><element name='r'><interleave>\
           <group><element name='a'><empty/></element><element name='b'><empty/></element></group>\
           <optional><element name='c'><empty/></element></optional>\
         </interleave></element></start>",
    );
    assert!(ok(&s, "<r><a/><b/></r>"));
    assert!(ok(&s, "<r><a/><c/><b/></r>"));
    assert!(ok(&s, "<r><c/><a/><b/></r>"));
    assert!(!ok(&s, "<r><b/><a/></r>"));
    assert!(!ok(&s, "<r><a/></r>"));
    assert!(!ok(&s, "<r><a/><b/><c/><c/></r>"));
}

#[test]
fn attributes_data_values_and_except() {
    let (s, _d) = schema(
        "<include href='inc.rng'/>\
         <start><element name='r'>\
           <attribute name='n'><data type='unsignedInt'><param name='maxInclusive'>10</param></data></attribute>\
           <optional><attribute name='c'><ref name='color'/></attribute></optional>\
           <zeroOrMore><element name='v'><data type='string'><param name='pattern'>[a-z]+</param>\
             <except><value>bad</value></except></data></element></zeroOrMore>\
         </element></start>",
    );
    assert!(ok(&s, "<r n='10'/>"));
    assert!(ok(&s, "<r n=' 3 ' c='blue'><v>abc</v><v>x</v></r>"));
    assert!(!ok(&s, "<r n='11'/>"));
    assert!(!ok(&s, "<r/>"));
    assert!(!ok(&s, "<r n='1' c='green'/>"));
    assert!(!ok(&s, "<r n='1' z='1'/>"));
    assert!(!ok(&s, "<r n='1'><v>bad</v></r>"));
    assert!(!ok(&s, "<r n='1'><v>ABC</v></r>"));
}

#[test]
fn combine_choice_nested_grammars_and_any_name() {
    let (s, _d) = schema(
        "<include href='inc.rng'/>\
         <define name='extra' combine='choice'><element name='x'><text/></element></define>\
         <start><element name='r'><zeroOrMore><choice>\
           <ref name='extra'/>\
           <grammar><start><element name='g'><parentRef name='extra'/></element></start></grammar>\
           <element name='any'><zeroOrMore><element><anyName/><empty/></element></zeroOrMore></element>\
           <element name='l'><list><oneOrMore><data type='int'/></oneOrMore></list></element>\
         </choice></zeroOrMore></element></start>",
    );
    assert!(ok(
        &s,
        "<r><x>t</x><g><x/></g><any><p/><q/></any><l> 1 2  3 </l></r>"
    ));
    assert!(!ok(&s, "<r><g/></r>"));
    assert!(!ok(&s, "<r><any><p a='1'/></any></r>"));
    assert!(!ok(&s, "<r><l>1 a</l></r>"));
    assert!(!ok(&s, "<r><l> </l></r>"));
}

#[test]
fn schema_errors_are_reported() {
    let d = tempdir::Dir::new();
    let p = d.0.join("bad.rng");
    std::fs::write(
        &p,
        "<grammar xmlns='http://relaxng.org/ns/structure/1.0'><start><ref name='nope'/></start></grammar>",
    )
    .expect("write");
    let e = Schema::load(&p).expect_err("undefined ref");
    assert!(e.message.contains("nope"), "{e}");
    let e = Schema::load(d.0.join("missing.rng")).expect_err("missing file");
    assert!(e.message.contains("missing.rng"), "{e}");
}
