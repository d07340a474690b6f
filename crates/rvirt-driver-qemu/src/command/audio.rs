//! Audio on the command line: one `-audiodev` per `<audio>` backend (`audioN`, N its id), and
//! the sound cards with their HDA codecs, as libvirt's `qemuBuildAudioCommandLine` and
//! `qemuBuildSoundCommandLine` give them.

use super::{at_pci, at_usb, device, raw_devices, raw_info, unsupported};
use rvirt_conf::DomainDef;
use rvirt_conf::raw::{RawElement, RawNode};
use rvirt_types::Result;
use serde_json::json;

fn audios(def: &DomainDef) -> impl Iterator<Item = &RawElement> {
    raw_devices(def, "audio")
}

/// The QEMU id of the audio backend with id `id` (the first backend when `id` is `None`), or
/// `None` when the domain has no such backend.
pub(super) fn audiodev_id(def: &DomainDef, id: Option<&str>) -> Option<String> {
    let found = match id {
        Some(id) => audios(def).find(|e| e.attr("id") == Some(id)),
        None => audios(def).next(),
    }?;
    Some(format!("audio{}", found.attr("id").unwrap_or("1")))
}

/// One `-audiodev` per `<audio>`.
pub(super) fn audiodevs(def: &DomainDef, a: &mut Vec<String>) -> Result<()> {
    for e in audios(def) {
        let kind = e.attr("type").unwrap_or("none");
        let driver = match kind {
            "none" | "alsa" | "coreaudio" | "jack" | "oss" | "sdl" | "spice" | "file" | "dbus" => {
                kind
            }
            "pulseaudio" => "pa",
            other => {
                return Err(unsupported(format!(
                    "audio type '{other}' is not supported yet"
                )));
            }
        };
        if e.children
            .iter()
            .any(|c| matches!(c, RawNode::Element(el) if el.name != "alias"))
        {
            return Err(unsupported(format!(
                "settings of the '{kind}' audio backend are not supported yet"
            )));
        }
        let mut v = json!({"id": format!("audio{}", e.attr("id").unwrap_or("1")),
                           "driver": driver});
        for (k, _) in &e.attrs {
            match (k.as_str(), kind) {
                ("id" | "type", _) => {}
                ("path", "file") => v["path"] = json!(e.attr("path")),
                ("timerPeriod", _) => {
                    let p = e.attr(k).and_then(rvirt_conf::xml::parse_uint_auto);
                    v["timer-period"] = json!(p);
                }
                (other, _) => {
                    return Err(unsupported(format!(
                        "audio attribute '{other}' is not supported yet"
                    )));
                }
            }
        }
        a.push("-audiodev".into());
        a.push(v.to_string());
    }
    Ok(())
}

/// The sound cards: the device, and for HDA cards their codecs (a duplex codec when the
/// definition names none).
pub(super) fn sounds(def: &DomainDef, a: &mut Vec<String>) -> Result<()> {
    for s in raw_devices(def, "sound") {
        let model = s.attr("model").unwrap_or("");
        let (driver, hda) = match model {
            "es1370" => ("ES1370", false),
            "ac97" => ("AC97", false),
            "ich6" => ("intel-hda", true),
            "ich9" => ("ich9-intel-hda", true),
            "sb16" => ("sb16", false),
            "usb" => ("usb-audio", false),
            other => {
                return Err(unsupported(format!(
                    "sound card model '{other}' is not supported by this QEMU driver"
                )));
            }
        };
        let audio_id = s.child("audio").and_then(|x| x.attr("id"));
        let audiodev = audiodev_id(def, audio_id).ok_or_else(|| {
            rvirt_types::Error::internal(
                rvirt_types::ErrorDomain::QEMU,
                "unable to find audio backend for sound device",
            )
        })?;
        let info = raw_info(s);
        let alias = info.alias.clone().unwrap_or_default();
        let mut v = json!({"driver": driver, "id": alias});
        if !hda {
            v["audiodev"] = json!(audiodev);
        }
        let v = if model == "usb" {
            at_usb(def, &info, v)
        } else {
            at_pci(def, &info, v)
        };
        device(a, v);
        if !hda {
            continue;
        }
        let mut codecs: Vec<&str> = s
            .children
            .iter()
            .filter_map(|c| match c {
                RawNode::Element(e) if e.name == "codec" => Some(e.attr("type").unwrap_or("")),
                _ => None,
            })
            .collect();
        if codecs.is_empty() {
            codecs.push("duplex");
        }
        for (cad, codec) in codecs.into_iter().enumerate() {
            let codec_driver = match codec {
                "duplex" => "hda-duplex",
                "micro" => "hda-micro",
                "output" => "hda-output",
                other => {
                    return Err(unsupported(format!(
                        "sound codec type '{other}' is not supported yet"
                    )));
                }
            };
            device(
                a,
                json!({"driver": codec_driver, "id": format!("{alias}-codec{cad}"),
                       "bus": format!("{alias}.0"), "cad": cad, "audiodev": audiodev}),
            );
        }
    }
    Ok(())
}
