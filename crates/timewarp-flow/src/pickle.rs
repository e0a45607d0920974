//! Reader for `torch.save` files (the zip format of PyTorch ≥ 1.6), restricted to what a state
//! dict needs: a small pickle virtual machine that rebuilds dicts, lists, tuples and tensors
//! and keeps every other object (e.g. the official checkpoints' `training_config` dataclass,
//! optimiser states) as an opaque placeholder instead of failing on it.
//!
//! Layout of the zip: `<archive>/data.pkl` (the pickle), `<archive>/data/<key>` (raw
//! little-endian storage bytes), `<archive>/byteorder` (optional). A tensor is pickled as
//! `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`,
//! whose storage is a persistent id `('storage', torch.<Type>Storage, key, location, numel)`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

use crate::state_dict::{StateDict, StateDictError, StateTensor, StoredDtype};

/// Top-level keys under which checkpoints keep the model's state dict.
const STATE_DICT_KEYS: [&str; 4] = ["model_state_dict", "state_dict", "module", "model"];

/// A pickled value. Payloads that a state dict never needs (floats, bytes, class names) are
/// kept for the `Debug` output of error messages.
#[allow(dead_code)]
#[derive(Debug, Clone)]
enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Rc<Items<Value>>),
    List(Rc<RefCell<Items<Value>>>),
    Dict(Rc<RefCell<Items<(Value, Value)>>>),
    Global {
        module: String,
        name: String,
    },
    Storage(Rc<StorageRef>),
    Tensor(Rc<TensorRef>),
    /// Any other object: its class (if known) is kept for error messages only.
    Opaque(String),
}

#[derive(Debug)]
struct StorageRef {
    dtype: TorchDtype,
    key: String,
}

#[derive(Debug)]
struct TensorRef {
    storage: Rc<StorageRef>,
    offset: usize,
    size: Vec<usize>,
    stride: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum TorchDtype {
    F64,
    F32,
    F16,
    BF16,
    Other,
}

impl TorchDtype {
    fn from_storage_class(name: &str) -> Self {
        match name {
            "DoubleStorage" => Self::F64,
            "FloatStorage" => Self::F32,
            "HalfStorage" => Self::F16,
            "BFloat16Storage" => Self::BF16,
            _ => Self::Other,
        }
    }

    fn size(self) -> usize {
        match self {
            Self::F64 => 8,
            Self::F32 => 4,
            Self::F16 | Self::BF16 => 2,
            Self::Other => 0,
        }
    }

    fn decode(self, bytes: &[u8]) -> f64 {
        match self {
            Self::F64 => f64::from_le_bytes(bytes.try_into().unwrap()),
            Self::F32 => f32::from_le_bytes(bytes.try_into().unwrap()) as f64,
            Self::F16 => f16_to_f64(u16::from_le_bytes(bytes.try_into().unwrap())),
            Self::BF16 => {
                f32::from_bits((u16::from_le_bytes(bytes.try_into().unwrap()) as u32) << 16) as f64
            }
            Self::Other => f64::NAN,
        }
    }
}

/// IEEE binary16 → f64.
fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = ((bits >> 10) & 0x1f) as i32;
    let fraction = (bits & 0x3ff) as f64;
    match exponent {
        0 => sign * fraction * 2f64.powi(-24),
        0x1f if fraction == 0.0 => sign * f64::INFINITY,
        0x1f => f64::NAN,
        _ => sign * (1.0 + fraction / 1024.0) * 2f64.powi(exponent - 15),
    }
}

/// The pickle machine: a value stack, a stack of marks and the memo.
struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: HashMap<u32, Value>,
}

type PResult<T> = Result<T, String>;

impl<'a> Machine<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: HashMap::new(),
        }
    }

    fn bytes(&mut self, n: usize) -> PResult<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or("truncated pickle")?;
        let slice = &self.data[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn u8(&mut self) -> PResult<u8> {
        Ok(self.bytes(1)?[0])
    }

    fn u16(&mut self) -> PResult<u16> {
        Ok(u16::from_le_bytes(self.bytes(2)?.try_into().unwrap()))
    }

    fn u32(&mut self) -> PResult<u32> {
        Ok(u32::from_le_bytes(self.bytes(4)?.try_into().unwrap()))
    }

    fn u64(&mut self) -> PResult<u64> {
        Ok(u64::from_le_bytes(self.bytes(8)?.try_into().unwrap()))
    }

    fn line(&mut self) -> PResult<String> {
        let rest = &self.data[self.pos..];
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("unterminated text line in pickle")?;
        self.pos += end + 1;
        Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
    }

    fn string(&mut self, n: usize) -> PResult<String> {
        String::from_utf8(self.bytes(n)?.to_vec())
            .map_err(|_| "invalid UTF-8 string in pickle".into())
    }

    fn pop(&mut self) -> PResult<Value> {
        self.stack
            .pop()
            .ok_or_else(|| "pickle stack underflow".into())
    }

    fn top(&mut self) -> PResult<&mut Value> {
        self.stack
            .last_mut()
            .ok_or_else(|| "pickle stack underflow".into())
    }

    fn pop_mark(&mut self) -> PResult<Vec<Value>> {
        let mark = self.marks.pop().ok_or("pickle MARK missing")?;
        if mark > self.stack.len() {
            return Err("pickle MARK beyond stack".into());
        }
        Ok(self.stack.split_off(mark))
    }

    fn memo_get(&self, index: u32) -> PResult<Value> {
        self.memo
            .get(&index)
            .cloned()
            .ok_or_else(|| format!("pickle memo {index} missing"))
    }

    fn set_items(target: &Value, items: Vec<Value>) -> PResult<()> {
        if let Value::Dict(dict) = target {
            let mut dict = dict.borrow_mut();
            for pair in items.chunks(2) {
                if let [k, v] = pair {
                    dict.push((k.clone(), v.clone()));
                }
            }
            Ok(())
        } else {
            // Items of an opaque mapping: irrelevant for a state dict.
            Ok(())
        }
    }

    fn run(mut self) -> PResult<Value> {
        loop {
            let op = self.u8()?;
            match op {
                0x80 => {
                    self.u8()?; // PROTO
                }
                0x95 => {
                    self.u64()?; // FRAME
                }
                b'.' => return self.pop(), // STOP
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let v = self.top()?.clone();
                    self.stack.push(v);
                }
                b'N' => self.stack.push(Value::None),
                0x88 => self.stack.push(Value::Bool(true)),
                0x89 => self.stack.push(Value::Bool(false)),
                b'J' => {
                    let v = self.u32()? as i32 as i64;
                    self.stack.push(Value::Int(v));
                }
                b'K' => {
                    let v = self.u8()? as i64;
                    self.stack.push(Value::Int(v));
                }
                b'M' => {
                    let v = self.u16()? as i64;
                    self.stack.push(Value::Int(v));
                }
                0x8a | 0x8b => {
                    // LONG1 / LONG4: little-endian two's complement.
                    let n = if op == 0x8a {
                        self.u8()? as usize
                    } else {
                        self.u32()? as usize
                    };
                    let bytes = self.bytes(n)?;
                    let value = if n == 0 {
                        0
                    } else if n <= 8 {
                        let mut buf = if bytes[n - 1] & 0x80 != 0 {
                            [0xff; 8]
                        } else {
                            [0; 8]
                        };
                        buf[..n].copy_from_slice(bytes);
                        i64::from_le_bytes(buf)
                    } else {
                        i64::MAX // beyond i64: only used for opaque values
                    };
                    self.stack.push(Value::Int(value));
                }
                b'I' | b'L' => {
                    let text = self.line()?;
                    let text = text.trim_end_matches('L');
                    let value = match text {
                        "00" => Value::Bool(false),
                        "01" => Value::Bool(true),
                        t => Value::Int(t.parse().map_err(|_| format!("bad INT {t:?} in pickle"))?),
                    };
                    self.stack.push(value);
                }
                b'G' => {
                    let v = f64::from_be_bytes(self.bytes(8)?.try_into().unwrap());
                    self.stack.push(Value::Float(v));
                }
                b'F' => {
                    let text = self.line()?;
                    self.stack.push(Value::Float(
                        text.trim()
                            .parse()
                            .map_err(|_| format!("bad FLOAT {text:?}"))?,
                    ));
                }
                0x8c => {
                    let n = self.u8()? as usize;
                    let s = self.string(n)?;
                    self.stack.push(Value::Str(s));
                }
                b'X' => {
                    let n = self.u32()? as usize;
                    let s = self.string(n)?;
                    self.stack.push(Value::Str(s));
                }
                0x8d => {
                    let n = self.u64()? as usize;
                    let s = self.string(n)?;
                    self.stack.push(Value::Str(s));
                }
                b'V' => {
                    let s = self.line()?;
                    self.stack.push(Value::Str(s));
                }
                b'U' | b'C' => {
                    let n = self.u8()? as usize;
                    let b = self.bytes(n)?.to_vec();
                    self.stack.push(if op == b'U' {
                        Value::Str(String::from_utf8_lossy(&b).into())
                    } else {
                        Value::Bytes(b)
                    });
                }
                b'T' | b'B' => {
                    let n = self.u32()? as usize;
                    let b = self.bytes(n)?.to_vec();
                    self.stack.push(if op == b'T' {
                        Value::Str(String::from_utf8_lossy(&b).into())
                    } else {
                        Value::Bytes(b)
                    });
                }
                0x8e | 0x96 => {
                    let n = self.u64()? as usize;
                    let b = self.bytes(n)?.to_vec();
                    self.stack.push(Value::Bytes(b));
                }
                b'S' => {
                    let s = self.line()?;
                    self.stack.push(Value::Str(
                        s.trim_matches(|c| c == '\'' || c == '"').to_string(),
                    ));
                }
                b')' => self.stack.push(Value::Tuple(Rc::new(Items::default()))),
                b't' => {
                    let items = self.pop_mark()?;
                    self.stack.push(Value::Tuple(Rc::new(Items(items))));
                }
                0x85 => {
                    let a = self.pop()?;
                    self.stack.push(Value::Tuple(Rc::new(Items(vec![a]))));
                }
                0x86 => {
                    let b = self.pop()?;
                    let a = self.pop()?;
                    self.stack.push(Value::Tuple(Rc::new(Items(vec![a, b]))));
                }
                0x87 => {
                    let c = self.pop()?;
                    let b = self.pop()?;
                    let a = self.pop()?;
                    self.stack.push(Value::Tuple(Rc::new(Items(vec![a, b, c]))));
                }
                b']' => self
                    .stack
                    .push(Value::List(Rc::new(RefCell::new(Items::default())))),
                b'l' => {
                    let items = self.pop_mark()?;
                    self.stack
                        .push(Value::List(Rc::new(RefCell::new(Items(items)))));
                }
                b'a' => {
                    let v = self.pop()?;
                    if let Value::List(list) = self.top()? {
                        list.borrow_mut().push(v);
                    }
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    if let Value::List(list) = self.top()? {
                        list.borrow_mut().extend(items);
                    }
                }
                b'}' => self
                    .stack
                    .push(Value::Dict(Rc::new(RefCell::new(Items::default())))),
                b'd' => {
                    let items = self.pop_mark()?;
                    let dict = Value::Dict(Rc::new(RefCell::new(Items::default())));
                    Self::set_items(&dict, items)?;
                    self.stack.push(dict);
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    let target = self.top()?.clone();
                    Self::set_items(&target, vec![k, v])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let target = self.top()?.clone();
                    Self::set_items(&target, items)?;
                }
                0x8f => self.stack.push(Value::Opaque("set".into())),
                0x90 => {
                    self.pop_mark()?; // ADDITEMS to a set
                }
                0x91 => {
                    self.pop_mark()?;
                    self.stack.push(Value::Opaque("frozenset".into()));
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.stack.push(Value::Global { module, name });
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    match (module, name) {
                        (Value::Str(module), Value::Str(name)) => {
                            self.stack.push(Value::Global { module, name })
                        }
                        _ => return Err("STACK_GLOBAL needs two strings".into()),
                    }
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let v = reduce(callable, args)?;
                    self.stack.push(v);
                }
                0x81 => {
                    let _args = self.pop()?;
                    let cls = self.pop()?;
                    self.stack.push(Value::Opaque(class_name(&cls)));
                }
                0x92 => {
                    let _kwargs = self.pop()?;
                    let _args = self.pop()?;
                    let cls = self.pop()?;
                    self.stack.push(Value::Opaque(class_name(&cls)));
                }
                b'b' => {
                    // BUILD: object state. Tensors, dicts (OrderedDict._metadata) and opaque
                    // objects keep no state here.
                    self.pop()?;
                }
                b'i' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.pop_mark()?;
                    self.stack.push(Value::Opaque(format!("{module}.{name}")));
                }
                b'o' => {
                    let items = self.pop_mark()?;
                    let name = items.first().map(class_name).unwrap_or_default();
                    self.stack.push(Value::Opaque(name));
                }
                b'q' => {
                    let i = self.u8()? as u32;
                    let v = self.top()?.clone();
                    self.memo.insert(i, v);
                }
                b'r' => {
                    let i = self.u32()?;
                    let v = self.top()?.clone();
                    self.memo.insert(i, v);
                }
                b'p' => {
                    let i: u32 = self.line()?.parse().map_err(|_| "bad PUT index")?;
                    let v = self.top()?.clone();
                    self.memo.insert(i, v);
                }
                0x94 => {
                    let i = self.memo.len() as u32;
                    let v = self.top()?.clone();
                    self.memo.insert(i, v);
                }
                b'h' => {
                    let i = self.u8()? as u32;
                    let v = self.memo_get(i)?;
                    self.stack.push(v);
                }
                b'j' => {
                    let i = self.u32()?;
                    let v = self.memo_get(i)?;
                    self.stack.push(v);
                }
                b'g' => {
                    let i: u32 = self.line()?.parse().map_err(|_| "bad GET index")?;
                    let v = self.memo_get(i)?;
                    self.stack.push(v);
                }
                b'Q' => {
                    let pid = self.pop()?;
                    self.stack.push(persistent_load(pid)?);
                }
                b'P' => {
                    self.line()?;
                    return Err("text persistent ids (PERSID) are not used by torch.save".into());
                }
                other => {
                    return Err(format!(
                        "unsupported pickle opcode 0x{other:02x} at byte {}",
                        self.pos - 1
                    ))
                }
            }
        }
    }
}

fn class_name(v: &Value) -> String {
    match v {
        Value::Global { module, name } => format!("{module}.{name}"),
        other => other.kind().to_string(),
    }
}

impl Value {
    /// The kind of a value, for messages. Never its contents: a crafted pickle can nest values
    /// (or make them contain themselves) deeply enough that printing them recurses without end.
    fn kind(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Global { .. } => "global",
            Value::Storage(_) => "storage",
            Value::Tensor(_) => "tensor",
            Value::Opaque(_) => "object",
        }
    }
}

/// The items of a pickled tuple, list or dict. Dropped without recursion: the derived drop of
/// a deeply nested value (a pickle of a million TUPLE1 opcodes is a million nested tuples)
/// recurses once per level and overflows the stack, wherever the value is let go (popped,
/// overwritten in the memo, or at the end). Here every container whose last reference goes
/// hands its items to a work list instead; shared containers only lose a reference, and
/// self-containing ones are leaked, which is bounded by the size of the pickle.
#[derive(Debug)]
struct Items<T: IntoValues>(Vec<T>);

impl<T: IntoValues> Default for Items<T> {
    fn default() -> Self {
        Items(Vec::new())
    }
}

impl<T: IntoValues> std::ops::Deref for Items<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T: IntoValues> std::ops::DerefMut for Items<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

/// What a container holds, as values to be dropped one by one.
trait IntoValues {
    fn into_values(self, out: &mut Vec<Value>);
}

impl IntoValues for Value {
    fn into_values(self, out: &mut Vec<Value>) {
        out.push(self);
    }
}

impl IntoValues for (Value, Value) {
    fn into_values(self, out: &mut Vec<Value>) {
        out.push(self.0);
        out.push(self.1);
    }
}

impl<T: IntoValues> Items<T> {
    fn drain_into(&mut self, out: &mut Vec<Value>) {
        for item in std::mem::take(&mut self.0) {
            item.into_values(out);
        }
    }
}

impl<T: IntoValues> Drop for Items<T> {
    fn drop(&mut self) {
        let mut work = Vec::new();
        self.drain_into(&mut work);
        while let Some(v) = work.pop() {
            match v {
                Value::Tuple(items) => {
                    if let Ok(mut items) = Rc::try_unwrap(items) {
                        items.drain_into(&mut work);
                    }
                }
                Value::List(items) => {
                    if let Ok(items) = Rc::try_unwrap(items) {
                        items.into_inner().drain_into(&mut work);
                    }
                }
                Value::Dict(items) => {
                    if let Ok(items) = Rc::try_unwrap(items) {
                        items.into_inner().drain_into(&mut work);
                    }
                }
                _ => {}
            }
        }
    }
}

fn as_usize_list(v: &Value) -> PResult<Vec<usize>> {
    match v {
        Value::Tuple(items) => items
            .iter()
            .map(|i| match i {
                Value::Int(n) if *n >= 0 => Ok(*n as usize),
                _ => Err("tensor size/stride must be non-negative integers".to_string()),
            })
            .collect(),
        _ => Err("tensor size/stride must be a tuple".into()),
    }
}

/// The storage behind a persistent id ('storage', storage class, key, location, numel).
fn persistent_load(pid: Value) -> PResult<Value> {
    let Value::Tuple(items) = pid else {
        return Err("persistent id is not a tuple".into());
    };
    match items.as_slice() {
        [Value::Str(kind), Value::Global { name, .. }, Value::Str(key), ..]
            if kind == "storage" =>
        {
            Ok(Value::Storage(Rc::new(StorageRef {
                dtype: TorchDtype::from_storage_class(name),
                key: key.clone(),
            })))
        }
        _ => Err(format!(
            "unsupported persistent id ({})",
            items.iter().map(Value::kind).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Apply a callable from a REDUCE opcode.
fn reduce(mut callable: Value, mut args: Value) -> PResult<Value> {
    // `_rebuild_from_type_v2(func, type, args)` applies `func` to `args`: unwrapped in a loop,
    // since a crafted pickle can nest it deeply enough to overflow the stack by recursion.
    loop {
        if let Value::Global { module, name } = &callable {
            if (module.as_str(), name.as_str()) == ("torch._tensor", "_rebuild_from_type_v2") {
                let next = match &args {
                    Value::Tuple(a) => match a.as_slice() {
                        [func, _type, Value::Tuple(inner), ..] => {
                            Some((func.clone(), Value::Tuple(inner.clone())))
                        }
                        _ => None,
                    },
                    _ => None,
                };
                let Some((func, inner)) = next else {
                    return Err("_rebuild_from_type_v2: unexpected arguments".into());
                };
                (callable, args) = (func, inner);
                continue;
            }
        }
        return reduce_once(callable, args);
    }
}

/// Apply a callable other than `_rebuild_from_type_v2`.
fn reduce_once(callable: Value, args: Value) -> PResult<Value> {
    let Value::Global { module, name } = &callable else {
        return Ok(Value::Opaque("reduce".into()));
    };
    let args = match &args {
        Value::Tuple(a) => a.clone(),
        _ => Rc::new(Items::default()),
    };
    match (module.as_str(), name.as_str()) {
        ("torch._utils", "_rebuild_tensor_v2") | ("torch._utils", "_rebuild_tensor") => {
            let [Value::Storage(storage), Value::Int(offset), size, stride, ..] = args.as_slice()
            else {
                return Err(format!("{module}.{name}: unexpected arguments"));
            };
            Ok(Value::Tensor(Rc::new(TensorRef {
                storage: storage.clone(),
                offset: *offset as usize,
                size: as_usize_list(size)?,
                stride: as_usize_list(stride)?,
            })))
        }
        ("torch._utils", "_rebuild_parameter")
        | ("torch._utils", "_rebuild_parameter_with_state") => args
            .first()
            .cloned()
            .ok_or_else(|| "_rebuild_parameter without data".into()),
        ("collections", "OrderedDict") | ("builtins", "dict") => {
            Ok(Value::Dict(Rc::new(RefCell::new(Items::default()))))
        }
        _ => Ok(Value::Opaque(format!("{module}.{name}"))),
    }
}

/// How deep [`find_state_dict`] looks: checkpoints nest the state dict one or two levels down,
/// and a dict that holds itself under `model` must not send the search round for ever.
const MAX_STATE_DICT_DEPTH: usize = 4;

/// Find the state dict: the top-level dict itself if its values are tensors, else the dict
/// under one of [`STATE_DICT_KEYS`].
fn find_state_dict(root: &Value) -> Option<Vec<(String, Rc<TensorRef>)>> {
    find_state_dict_within(root, MAX_STATE_DICT_DEPTH)
}

fn find_state_dict_within(root: &Value, depth: usize) -> Option<Vec<(String, Rc<TensorRef>)>> {
    let Value::Dict(dict) = root else { return None };
    let dict = dict.borrow();
    let tensors: Vec<(String, Rc<TensorRef>)> = dict
        .iter()
        .filter_map(|(k, v)| match (k, v) {
            (Value::Str(k), Value::Tensor(t)) => Some((k.clone(), t.clone())),
            _ => None,
        })
        .collect();
    if !tensors.is_empty() {
        return Some(tensors);
    }
    if depth == 0 {
        return None;
    }
    STATE_DICT_KEYS.iter().find_map(|wanted| {
        dict.iter().find_map(|(k, v)| match k {
            Value::Str(k) if k == wanted => find_state_dict_within(v, depth - 1),
            _ => None,
        })
    })
}

/// Read the float state dict of a `torch.save` zip file.
pub fn read_torch_state_dict(path: &Path) -> Result<StateDict, StateDictError> {
    let p = path.display().to_string();
    let err = |message: String| StateDictError::Pickle {
        path: p.clone(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|source| StateDictError::Io {
        path: p.clone(),
        source,
    })?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| {
        err(format!(
            "not a torch.save zip archive ({e}); legacy (pre-1.6) files are not supported"
        ))
    })?;
    let pickle_name = zip
        .file_names()
        .find(|n| n.ends_with("data.pkl") && n.matches('/').count() == 1)
        .map(str::to_string)
        .ok_or_else(|| err("no <archive>/data.pkl in the zip".into()))?;
    let prefix = pickle_name.trim_end_matches("data.pkl").to_string();
    if let Ok(mut order) = zip.by_name(&format!("{prefix}byteorder")) {
        let mut text = String::new();
        order
            .read_to_string(&mut text)
            .map_err(|e| err(e.to_string()))?;
        if text.trim() != "little" {
            return Err(err(format!(
                "byte order {:?} is not supported",
                text.trim()
            )));
        }
    }
    let mut pickle = Vec::new();
    zip.by_name(&pickle_name)
        .and_then(|mut f| Ok(f.read_to_end(&mut pickle)?))
        .map_err(|e| err(e.to_string()))?;
    let root = Machine::new(&pickle)
        .run()
        .map_err(|m| err(format!("data.pkl: {m}")))?;
    let tensors = find_state_dict(&root).ok_or_else(|| {
        err(format!("no state dict of tensors found (looked at the top level and under {STATE_DICT_KEYS:?})"))
    })?;

    let mut storages: HashMap<String, Vec<u8>> = HashMap::new();
    let mut dict = StateDict::new();
    for (name, t) in tensors {
        let dtype = t.storage.dtype;
        if dtype == TorchDtype::Other {
            return Err(err(format!(
                "tensor {name}: only floating-point tensors are supported"
            )));
        }
        if !storages.contains_key(&t.storage.key) {
            let mut bytes = Vec::new();
            zip.by_name(&format!("{prefix}data/{}", t.storage.key))
                .and_then(|mut f| Ok(f.read_to_end(&mut bytes)?))
                .map_err(|e| err(format!("tensor {name}: storage {}: {e}", t.storage.key)))?;
            storages.insert(t.storage.key.clone(), bytes);
        }
        let bytes = &storages[&t.storage.key];
        let width = dtype.size();
        let count = checked_extent(&t, bytes.len() / width)
            .map_err(|m| err(format!("tensor {name}: storage {}: {m}", t.storage.key)))?;
        let mut values = Vec::with_capacity(count);
        let mut index = vec![0usize; t.size.len()];
        for _ in 0..count {
            // In range: checked_extent bounds the largest element.
            let element = t.offset
                + index
                    .iter()
                    .zip(&t.stride)
                    .map(|(i, s)| i * s)
                    .sum::<usize>();
            let chunk = bytes
                .get(element * width..(element + 1) * width)
                .ok_or_else(|| {
                    err(format!(
                        "tensor {name}: storage {} too short",
                        t.storage.key
                    ))
                })?;
            values.push(dtype.decode(chunk));
            // Row-major increment of the multi-index.
            for axis in (0..index.len()).rev() {
                index[axis] += 1;
                if index[axis] < t.size[axis] {
                    break;
                }
                index[axis] = 0;
            }
        }
        let stored = if dtype == TorchDtype::F64 {
            StoredDtype::F64
        } else {
            StoredDtype::F32
        };
        dict.insert(name, StateTensor::new(t.size.clone(), values, stored));
    }
    Ok(dict)
}

/// The number of elements of tensor `t`, after checking that every element it addresses lies
/// in a storage of `stored` elements. Sizes, strides and offset come from the pickle: unchecked,
/// they overflow the index arithmetic, or ask for an allocation of terabytes (which aborts the
/// process). A state-dict tensor never holds more elements than its storage (no parameter is a
/// broadcast view), so that bounds the allocation by the file's size.
fn checked_extent(t: &TensorRef, stored: usize) -> Result<usize, String> {
    if t.size.len() != t.stride.len() {
        return Err(format!(
            "{} sizes but {} strides",
            t.size.len(),
            t.stride.len()
        ));
    }
    let too_big = || format!("size {:?} does not fit in memory", t.size);
    let count = t
        .size
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(too_big)?;
    if count == 0 {
        return Ok(0);
    }
    if count > stored {
        return Err(format!(
            "size {:?} ({count} elements) exceeds the {stored} elements stored",
            t.size
        ));
    }
    t.size
        .iter()
        .zip(&t.stride)
        .try_fold(t.offset, |e, (&d, &s)| e.checked_add((d - 1).checked_mul(s)?))
        .filter(|&e| e < stored)
        .ok_or_else(|| {
            format!(
                "offset {} with size {:?} and stride {:?} reaches beyond the {stored} elements stored",
                t.offset, t.size, t.stride
            )
        })?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_decoding() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert!(f16_to_f64(0x7c00).is_infinite());
    }
}
