//! Scanning the sources the SBOM reads (`vedette_sbom::source`): a directory tree or a running
//! container's root (`/proc/<pid>/root`) through [`Source`], every layer of a container image
//! (`docker save` archive, OCI layout) through [`ImageSource::walk_layers`], and a
//! `docker save` stream piped from the Docker Engine through [`stream_layers`].
//!
//! Images are scanned layer by layer, not only their final filesystem: a secret added in one
//! layer and deleted in a later one is still extractable from the image. Each finding names
//! its layer and whether the file is still visible in the final image ([`LayerRef`]).
//!
//! The limits, allowlists and binary skip are those of [`Scanner::scan_path`]; paths are the
//! paths inside the source (`/app/.env`), and path filters see them relative to its root.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Mutex, mpsc};
use std::time::Instant;

use vedette_sbom::Diagnostic;
use vedette_sbom::source::stream::{FileKey, StreamFile, stream_layers};
use vedette_sbom::source::{
    FileInfo, FileInput, ImageLimits, ImageSource, Layer, LayerFile, Source,
};

use crate::finding::LayerRef;
use crate::scanner::Scanner;
use crate::walk::{
    Collector, FileErrorKind, FileResults, ProgressEvent, ScanReport, SkipReason, SkippedFile,
};

/// A file of an image read by the layer walk, waiting for a scanning thread.
struct Job {
    path: String,
    data: Vec<u8>,
    /// Known for archives and layouts; for streams, set once the stream has ended.
    layer: Option<LayerRef>,
    /// The file's key in a stream.
    key: Option<FileKey>,
}

impl Scanner {
    /// Scans a [`Source`]: a directory tree or a container's root (the walk of
    /// [`vedette_sbom::source::DirSource`], which never leaves its root and skips `/proc`,
    /// `/sys` and `/dev`), or, for an [`ImageSource`], every file of every layer (see
    /// [`Scanner::scan_image`]). `progress` is called after each file, from worker threads.
    pub fn scan_source(
        &self,
        source: &dyn Source,
        progress: &(dyn Fn(&ProgressEvent<'_>) + Sync),
    ) -> ScanReport {
        if let Some(image) = source.as_image() {
            return self.scan_image(image, progress);
        }
        let started = Instant::now();
        let collector = Collector::default();
        let want = |file: &FileInfo<'_>| -> u64 {
            let size = file.meta().map(|m| m.size);
            match self.want_file(file.path, size, &collector) {
                Some(Ok(())) => 1,
                Some(Err(skipped)) => {
                    collector.add(skip_results(skipped), None);
                    0
                }
                None => 0,
            }
        };
        let visit = |path: &str, _tag: u64, input: &mut dyn FileInput| {
            let shown = Path::new(path);
            let limit = self.size_limit(shown);
            let mut data = Vec::new();
            if let Err(err) = input.take(limit.saturating_add(1)).read_to_end(&mut data) {
                collector.error(shown, FileErrorKind::Io(err.to_string()));
                return;
            }
            if data.len() as u64 > limit {
                // The file grew after its size was checked.
                let size = data.len() as u64;
                collector.skip(shown, SkipReason::TooLarge { size, limit });
                return;
            }
            let bytes = self.scan_loaded(shown, &relative(path), &data, &collector);
            progress(&ProgressEvent { path: shown, bytes });
        };
        let report = |d: Diagnostic| {
            collector.error(Path::new(&d.path), FileErrorKind::Io(d.message));
        };
        // The directory walk runs on rayon: a pool of our own caps its threads.
        let walked = match rayon::ThreadPoolBuilder::new()
            .num_threads(self.thread_count())
            .build()
        {
            Ok(pool) => pool.install(|| source.walk(&want, &visit, &report)),
            Err(_) => source.walk(&want, &visit, &report),
        };
        if let Err(err) = walked {
            collector.error(
                Path::new(&source.describe()),
                FileErrorKind::Walk(err.to_string()),
            );
        }
        collector.into_report(started.elapsed())
    }

    /// Scans every regular file of every layer of an image (a `docker save` archive or an
    /// OCI layout opened with [`ImageSource::open`]). Findings, errors and skipped files
    /// carry their [`LayerRef`]; a file deleted or replaced by an upper layer is scanned too
    /// and marked `visible: false`. Layers are read in one thread, files scanned by
    /// [`ScanOptions::threads`](crate::ScanOptions::threads) workers.
    pub fn scan_image(
        &self,
        image: &ImageSource,
        progress: &(dyn Fn(&ProgressEvent<'_>) + Sync),
    ) -> ScanReport {
        let started = Instant::now();
        let collector = Collector::default();
        let pending = Mutex::new(Vec::new());
        self.run_jobs(&collector, &pending, progress, |send| {
            let mut want =
                |file: &LayerFile<'_>| match self.want_file(file.path, Some(file.size), &collector)
                {
                    Some(Ok(())) => true,
                    Some(Err(skipped)) => {
                        let layer = LayerRef::new(file.layer, file.visible);
                        collector.add(skip_results(skipped), Some(&layer));
                        false
                    }
                    None => false,
                };
            let mut visit = |file: &LayerFile<'_>, data: Vec<u8>| {
                send(Job {
                    path: file.path.to_string(),
                    data,
                    layer: Some(LayerRef::new(file.layer, file.visible)),
                    key: None,
                });
            };
            let mut report = |d: Diagnostic| {
                collector.error(Path::new(&d.path), FileErrorKind::Image(d.message));
            };
            if let Err(err) = image.walk_layers(&mut want, &mut visit, &mut report) {
                collector.error(
                    Path::new(&image.describe()),
                    FileErrorKind::Image(err.to_string()),
                );
            }
        });
        collector.into_report(started.elapsed())
    }

    /// Scans an image archive read once from `reader` — `docker save` output piped from the
    /// Docker Engine, or an OCI layout tar — without seeking and without writing to disk.
    /// Every layer's files are scanned as they stream by; once the manifest (written last
    /// by `docker save`) has been read, results get their layer's position and visibility,
    /// exactly as [`Scanner::scan_image`] reports them for the same image saved to a file.
    ///
    /// Fails when the stream is not an image or breaks off: without the manifest, findings
    /// cannot be placed in the image.
    pub fn scan_image_stream(
        &self,
        reader: &mut (dyn Read + Send),
        limits: ImageLimits,
        progress: &(dyn Fn(&ProgressEvent<'_>) + Sync),
    ) -> Result<ScanReport, vedette_sbom::Error> {
        let started = Instant::now();
        let collector = Collector::default();
        // Per-file results wait here until the layer order and the survivors are known.
        let pending: Mutex<Vec<(FileKey, FileResults)>> = Mutex::new(Vec::new());
        let streamed = self.run_jobs(&collector, &pending, progress, |send| {
            let mut want = |file: &StreamFile<'_>| match self.want_file(
                file.path,
                Some(file.size),
                &collector,
            ) {
                Some(Ok(())) => true,
                Some(Err(skipped)) => {
                    lock(&pending).push((file.key(), skip_results(skipped)));
                    false
                }
                None => false,
            };
            let mut visit = |file: &StreamFile<'_>, data: Vec<u8>| {
                send(Job {
                    path: file.path.to_string(),
                    data,
                    layer: None,
                    key: Some(file.key()),
                });
            };
            stream_layers(reader, limits, &mut want, &mut visit)
        })?;
        let layers: HashMap<String, Layer> = streamed
            .layer_list()
            .into_iter()
            .map(|layer| (layer.blob.clone(), layer))
            .collect();
        for (key, results) in into_inner(pending) {
            // Blobs the manifest does not list are not part of the image.
            if let Some(layer) = layers.get(&key.0) {
                let visible = streamed.survivors.contains(&key);
                collector.add(results, Some(&LayerRef::new(layer, visible)));
            }
        }
        for problem in &streamed.problems {
            collector.error(
                Path::new(&problem.path),
                FileErrorKind::Image(problem.message.clone()),
            );
        }
        Ok(collector.into_report(started.elapsed()))
    }

    /// Whether to read the file at `path` inside a source: `None` when its path is
    /// excluded (counted), `Some(Err(_))` when it is over the size limit, else `Some(Ok(()))`.
    fn want_file(
        &self,
        path: &str,
        size: Option<u64>,
        collector: &Collector,
    ) -> Option<Result<(), SkippedFile>> {
        // The tree walk prunes excluded folders; here each folder of the path is checked.
        let rel = relative(path);
        if rel
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .any(|a| self.path_excluded(a))
        {
            collector.excluded.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let limit = self.size_limit(Path::new(path));
        match size {
            Some(size) if size > limit => Some(Err(SkippedFile {
                path: PathBuf::from(path),
                reason: SkipReason::TooLarge { size, limit },
                layer: None,
            })),
            _ => Some(Ok(())),
        }
    }

    /// Worker threads: [`ScanOptions::threads`](crate::ScanOptions::threads), 0 = cores.
    fn thread_count(&self) -> usize {
        match self.options().threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    /// Runs `produce` on this thread (it reads the layers and sends files) while worker
    /// threads scan what it sends. The channel holds one file per worker, which bounds the
    /// memory of files read ahead.
    fn run_jobs<R>(
        &self,
        collector: &Collector,
        pending: &Mutex<Vec<(FileKey, FileResults)>>,
        progress: &(dyn Fn(&ProgressEvent<'_>) + Sync),
        produce: impl FnOnce(&dyn Fn(Job)) -> R,
    ) -> R {
        let threads = self.thread_count();
        let (sender, receiver) = mpsc::sync_channel::<Job>(threads);
        let receiver = Mutex::new(receiver);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    loop {
                        // Hold the lock only to take the next file.
                        let next = lock(&receiver).recv();
                        let Ok(job) = next else { break };
                        self.scan_job(job, collector, pending, progress);
                    }
                });
            }
            let result = produce(&|job| {
                // Fails only if every worker is gone (a panic, re-raised by the scope).
                let _ = sender.send(job);
            });
            drop(sender);
            result
        })
    }

    /// Scans one image file and files its results under its layer (or its stream key).
    fn scan_job(
        &self,
        job: Job,
        collector: &Collector,
        pending: &Mutex<Vec<(FileKey, FileResults)>>,
        progress: &(dyn Fn(&ProgressEvent<'_>) + Sync),
    ) {
        let file = Collector::default();
        let path = Path::new(&job.path);
        let bytes = self.scan_loaded(path, &relative(&job.path), &job.data, &file);
        let results = collector.take(file);
        match job.key {
            Some(key) if !results.is_empty() => lock(pending).push((key, results)),
            Some(_) => {}
            None => collector.add(results, job.layer.as_ref()),
        }
        progress(&ProgressEvent { path, bytes });
    }
}

/// A path inside a source relative to its root, as path filters see it.
fn relative(path: &str) -> PathBuf {
    PathBuf::from(path.trim_start_matches('/'))
}

/// One skipped file as results to file under a layer.
fn skip_results(skipped: SkippedFile) -> FileResults {
    FileResults {
        skipped: vec![skipped],
        ..FileResults::default()
    }
}

/// Locks a mutex, recovering the data if a worker panicked while holding it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn into_inner<T>(m: Mutex<T>) -> T {
    m.into_inner().unwrap_or_else(|p| p.into_inner())
}
