//! `#[derive(XdrEncode, XdrDecode)]` for `rvirt-xdr`.
//!
//! - A struct encodes its fields in declaration order, as an XDR struct.
//! - An enum whose variants are all units is an XDR `enum`: one signed word. Its value is
//!   `#[xdr(discriminant = N)]` if given, else the Rust discriminant (`A = 3`), else the previous
//!   value plus one, as Rust itself numbers variants.
//! - An enum with data is an XDR `union switch (int …)`: the discriminant word, then the fields of
//!   the chosen arm in order (a unit variant is a `void` arm). Every variant must carry
//!   `#[xdr(discriminant = N)]`, so that no arm is numbered by accident.
//!
//! `N` may be any constant `i32` expression in scope where the derive is used. Decoding an
//! unknown discriminant fails with `XdrError::InvalidDiscriminant`.
//!
//! The generated code names the runtime crate as `::rvirt_xdr`.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::{
    Data, DeriveInput, Expr, Fields, GenericParam, Generics, Ident, Variant, parse_macro_input,
    parse_quote, spanned::Spanned,
};

/// Derives `rvirt_xdr::XdrEncode`; see the crate documentation for the encoding rules.
#[proc_macro_derive(XdrEncode, attributes(xdr))]
pub fn derive_encode(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input, Direction::Encode)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `rvirt_xdr::XdrDecode`; see the crate documentation for the encoding rules.
#[proc_macro_derive(XdrDecode, attributes(xdr))]
pub fn derive_decode(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input, Direction::Decode)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Encode,
    Decode,
}

fn expand(input: &DeriveInput, dir: Direction) -> syn::Result<TokenStream2> {
    reject_misplaced_attrs(input)?;
    let name = &input.ident;
    let trait_path = match dir {
        Direction::Encode => quote!(::rvirt_xdr::XdrEncode),
        Direction::Decode => quote!(::rvirt_xdr::XdrDecode),
    };
    let generics = add_bounds(input.generics.clone(), &trait_path);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let body = match &input.data {
        Data::Struct(data) => match dir {
            Direction::Encode => encode_struct(&data.fields),
            Direction::Decode => decode_struct(&data.fields),
        },
        Data::Enum(data) => {
            let variants: Vec<&Variant> = data.variants.iter().collect();
            let discriminants = discriminants(&variants)?;
            match dir {
                Direction::Encode => encode_enum(name, &variants, &discriminants),
                Direction::Decode => decode_enum(name, &variants, &discriminants),
            }
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                "XDR derives support structs and enums, not Rust unions",
            ));
        }
    };
    Ok(match dir {
        Direction::Encode => quote! {
            impl #impl_generics #trait_path for #name #ty_generics #where_clause {
                #[inline]
                fn encode(&self, out: &mut ::std::vec::Vec<u8>) {
                    #body
                }
            }
        },
        Direction::Decode => quote! {
            impl #impl_generics #trait_path for #name #ty_generics #where_clause {
                #[inline]
                fn decode(
                    r: &mut ::rvirt_xdr::XdrReader<'_>,
                ) -> ::std::result::Result<Self, ::rvirt_xdr::XdrError> {
                    #body
                }
            }
        },
    })
}

/// `#[xdr(...)]` belongs on enum variants only; anywhere else it would be silently ignored.
fn reject_misplaced_attrs(input: &DeriveInput) -> syn::Result<()> {
    let fields: Vec<&syn::Field> = match &input.data {
        Data::Struct(s) => s.fields.iter().collect(),
        Data::Enum(e) => e.variants.iter().flat_map(|v| v.fields.iter()).collect(),
        Data::Union(_) => Vec::new(),
    };
    let mut attrs = input
        .attrs
        .iter()
        .chain(fields.iter().flat_map(|f| f.attrs.iter()));
    match attrs.find(|a| a.path().is_ident("xdr")) {
        Some(attr) => Err(syn::Error::new(
            attr.span(),
            "#[xdr(...)] is only meaningful on enum variants",
        )),
        None => Ok(()),
    }
}

/// Every type parameter must itself implement the trait being derived.
fn add_bounds(mut generics: Generics, trait_path: &TokenStream2) -> Generics {
    for param in &mut generics.params {
        if let GenericParam::Type(ty) = param {
            ty.bounds.push(parse_quote!(#trait_path));
        }
    }
    generics
}

/// Bindings for the fields of a struct or variant: `__f0, __f1, …` in declaration order.
fn bindings(fields: &Fields) -> Vec<Ident> {
    (0..fields.len())
        .map(|i| format_ident!("__f{}", i))
        .collect()
}

/// A pattern destructuring `fields` into `bindings(fields)`.
fn pattern(fields: &Fields, binds: &[Ident]) -> TokenStream2 {
    match fields {
        Fields::Named(named) => {
            let names = named.named.iter().map(|f| &f.ident);
            quote!({ #(#names: #binds),* })
        }
        Fields::Unnamed(_) => quote!(( #(#binds),* )),
        Fields::Unit => quote!(),
    }
}

/// A constructor body decoding `fields` in order.
fn construct(fields: &Fields) -> TokenStream2 {
    let decode = quote!(::rvirt_xdr::XdrDecode::decode(r)?);
    match fields {
        Fields::Named(named) => {
            let names = named.named.iter().map(|f| &f.ident);
            quote!({ #(#names: #decode),* })
        }
        Fields::Unnamed(unnamed) => {
            let each = unnamed.unnamed.iter().map(|_| &decode);
            quote!(( #(#each),* ))
        }
        Fields::Unit => quote!(),
    }
}

fn encode_struct(fields: &Fields) -> TokenStream2 {
    let binds = bindings(fields);
    let pat = pattern(fields, &binds);
    if binds.is_empty() {
        return quote!(let _ = out;);
    }
    quote! {
        let Self #pat = self;
        #( ::rvirt_xdr::XdrEncode::encode(#binds, out); )*
    }
}

fn decode_struct(fields: &Fields) -> TokenStream2 {
    let ctor = construct(fields);
    if fields.is_empty() {
        return quote! {
            let _ = r;
            ::std::result::Result::Ok(Self #ctor)
        };
    }
    quote!(::std::result::Result::Ok(Self #ctor))
}

/// The constant expression giving each variant's discriminant.
fn discriminants(variants: &[&Variant]) -> syn::Result<Vec<Expr>> {
    let is_union = variants.iter().any(|v| !matches!(v.fields, Fields::Unit));
    let mut out: Vec<Expr> = Vec::with_capacity(variants.len());
    for v in variants {
        let explicit = xdr_discriminant(v)?;
        let expr = match (explicit, &v.discriminant) {
            (Some(e), _) => e,
            (None, _) if is_union => {
                return Err(syn::Error::new(
                    v.span(),
                    "every arm of an XDR union needs #[xdr(discriminant = N)]",
                ));
            }
            (None, Some((_, e))) => e.clone(),
            (None, None) => match out.last() {
                Some(prev) => parse_quote!((#prev) + 1),
                None => parse_quote!(0),
            },
        };
        out.push(expr);
    }
    Ok(out)
}

/// The `N` of `#[xdr(discriminant = N)]` on a variant, if present.
fn xdr_discriminant(v: &Variant) -> syn::Result<Option<Expr>> {
    let mut found = None;
    for attr in v.attrs.iter().filter(|a| a.path().is_ident("xdr")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("discriminant") {
                if found.is_some() {
                    return Err(meta.error("duplicate xdr discriminant"));
                }
                found = Some(meta.value()?.parse::<Expr>()?);
                Ok(())
            } else {
                Err(meta.error("unknown xdr attribute; expected `discriminant = N`"))
            }
        })?;
    }
    Ok(found)
}

/// `const __XDR_D0: i32 = …;` for each variant, so that discriminants can be match patterns,
/// and a compile-time check that no two are equal (a duplicate would make an arm unreachable
/// without any warning).
fn discriminant_consts(name: &Ident, discriminants: &[Expr]) -> (Vec<Ident>, TokenStream2) {
    let names: Vec<Ident> = (0..discriminants.len())
        .map(|i| Ident::new(&format!("__XDR_D{i}"), Span::call_site()))
        .collect();
    let message = format!("duplicate XDR discriminant in {name}");
    let count = discriminants.len();
    let consts = quote! {
        #( const #names: i32 = #discriminants; )*
        const _: () = {
            let all: [i32; #count] = [#(#names),*];
            let mut i = 0;
            while i < all.len() {
                let mut j = i + 1;
                while j < all.len() {
                    assert!(all[i] != all[j], #message);
                    j += 1;
                }
                i += 1;
            }
        };
    };
    (names, consts)
}

fn encode_enum(name: &Ident, variants: &[&Variant], discriminants: &[Expr]) -> TokenStream2 {
    if variants.is_empty() {
        return quote! {
            let _ = out;
            match *self {}
        };
    }
    let (names, consts) = discriminant_consts(name, discriminants);
    let arms = variants.iter().zip(&names).map(|(v, d)| {
        let ident = &v.ident;
        let binds = bindings(&v.fields);
        let pat = pattern(&v.fields, &binds);
        quote! {
            Self::#ident #pat => {
                ::rvirt_xdr::XdrEncode::encode(&#d, out);
                #( ::rvirt_xdr::XdrEncode::encode(#binds, out); )*
            }
        }
    });
    quote! {
        #consts
        match self { #(#arms)* }
    }
}

fn decode_enum(name: &Ident, variants: &[&Variant], discriminants: &[Expr]) -> TokenStream2 {
    let (names, consts) = discriminant_consts(name, discriminants);
    let arms = variants.iter().zip(&names).map(|(v, d)| {
        let ident = &v.ident;
        let ctor = construct(&v.fields);
        quote!(#d => ::std::result::Result::Ok(Self::#ident #ctor),)
    });
    let ty = name.to_string();
    quote! {
        #consts
        let pos = r.position();
        let value = <i32 as ::rvirt_xdr::XdrDecode>::decode(r)?;
        match value {
            #(#arms)*
            _ => ::std::result::Result::Err(::rvirt_xdr::XdrError::InvalidDiscriminant {
                pos,
                ty: #ty,
                value,
            }),
        }
    }
}
